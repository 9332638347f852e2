//! What the CLI tests share: running the binary, and scratch files.

#![allow(dead_code)] // each test file uses what it needs

use std::process::Command;

/// Exit status, standard output and standard error of `redsim ARGS`, run with `env` set and with
/// no job-runner shard variables inherited.
pub fn redsim_env(args: &[&str], env: &[(&str, &str)]) -> (i32, String, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_redsim"))
        .args(args)
        .env_remove("SLURM_ARRAY_TASK_ID")
        .env_remove("SLURM_ARRAY_TASK_COUNT")
        .env_remove("SLURM_ARRAY_TASK_MIN")
        .env_remove("SLURM_ARRAY_TASK_MAX")
        .env_remove("SLURM_ARRAY_TASK_STEP")
        .env_remove("JOB_COMPLETION_INDEX")
        .envs(env.iter().copied())
        .output()
        .expect("the binary runs");
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

/// Exit status, standard output and standard error of `redsim ARGS`.
pub fn redsim(args: &[&str]) -> (i32, String, String) {
    redsim_env(args, &[])
}

/// A path for a scratch file `name`, in a directory of this test process under Cargo's
/// `target/tmp` (so test runs leave nothing in the system's temporary directory).
pub fn tmp(name: &str) -> String {
    let dir = std::path::Path::new(env!("CARGO_TARGET_TMPDIR"))
        .join(format!("redsim-test-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    dir.join(name).to_string_lossy().into_owned()
}

/// The bundled scenarios, `traces/*.toml`, sorted.
pub fn bundled_scenarios() -> Vec<String> {
    let mut files: Vec<String> = std::fs::read_dir("traces")
        .unwrap()
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|x| x == "toml"))
        .map(|p| p.to_string_lossy().into_owned())
        .collect();
    files.sort();
    files
}
