//! The guided lessons (`playground/lessons.toml`, compiled in): each a title, a paragraph, a
//! bundled scenario and seed, a question and its answer.

use serde::{Deserialize, Serialize};

/// One lesson.
#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Lesson {
    /// What it teaches, in a few words.
    pub title: String,
    /// The file name of a bundled scenario (in `traces/`).
    pub scenario: String,
    /// The seed it runs with.
    pub seed: u64,
    /// The paragraph.
    pub text: String,
    /// What the student answers by changing something and rerunning.
    pub question: String,
    /// The answer, shown on request.
    pub answer: String,
}

#[derive(Deserialize)]
struct Lessons {
    lesson: Vec<Lesson>,
}

const LESSONS: &str = include_str!("../lessons.toml");

/// The lessons, in order.
pub fn lessons() -> Result<Vec<Lesson>, String> {
    toml::from_str::<Lessons>(LESSONS)
        .map(|l| l.lesson)
        .map_err(|e| format!("playground/lessons.toml: {e}"))
}
