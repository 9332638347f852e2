//! Every key a scenario file accepts, table by table, read from the raw structs' own serde field
//! names (renames included), so a key added to `raw.rs` is listed here by itself. The project's
//! reference, `docs/scenario-format.md`, documents each one (the root package's `tests/docs.rs`
//! checks).

use super::raw;
use serde::de::{self, DeserializeOwned, Visitor, value::Error};

/// A table of the scenario file, as the reference's section heading names it, and its keys.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Table {
    /// The heading of its section in `docs/scenario-format.md` contains this text.
    pub heading: &'static str,
    /// The keys the table accepts, as written in a scenario file.
    pub keys: &'static [&'static str],
}

/// Every table of the scenario format with the keys it accepts (a raw struct added to `raw.rs`
/// must be added here too).
pub fn tables() -> Vec<Table> {
    let t = |heading, keys| Table { heading, keys };
    vec![
        t("Top level", fields::<raw::Scenario>()),
        t("`[network]`", fields::<raw::Network>()),
        t("`[[host]]`", fields::<raw::Host>()),
        t("`[[link]]`", fields::<raw::Link>()),
        t("`[[redis]]`", fields::<raw::Process>()),
        t("`dataset`", fields::<raw::Dataset>()),
        t("`[[client]]`", fields::<raw::Client>()),
        t("`workload`", fields::<raw::Workload>()),
        t("`[[event]]`", fields::<raw::Event>()),
        t("`[expect]`", fields::<raw::Expect>()),
        t("`get`", fields::<raw::Get>()),
        t("`[explore]`", fields::<raw::Explore>()),
        t("`rules`", fields::<raw::ExploreRule>()),
    ]
}

/// The field names serde's derive gives `T` (empty for a type that is not a struct).
fn fields<T: DeserializeOwned>() -> &'static [&'static str] {
    let mut names: &'static [&'static str] = &[];
    // The deserializer below always fails: it only records what the struct asks for.
    let _ = T::deserialize(FieldNames(&mut names));
    names
}

/// A deserializer that records the field list a derived struct asks for, and nothing else.
struct FieldNames<'a>(&'a mut &'static [&'static str]);

impl<'de> de::Deserializer<'de> for FieldNames<'_> {
    type Error = Error;

    fn deserialize_any<V: Visitor<'de>>(self, _visitor: V) -> Result<V::Value, Error> {
        Err(de::Error::custom("only a struct's field names are read"))
    }

    fn deserialize_struct<V: Visitor<'de>>(
        self,
        _name: &'static str,
        fields: &'static [&'static str],
        _visitor: V,
    ) -> Result<V::Value, Error> {
        *self.0 = fields;
        Err(de::Error::custom("the field names were read"))
    }

    serde::forward_to_deserialize_any! {
        bool i8 i16 i32 i64 i128 u8 u16 u32 u64 u128 f32 f64 char str string bytes byte_buf
        option unit unit_struct newtype_struct seq tuple tuple_struct map enum identifier
        ignored_any
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn field_names_follow_the_renames() {
        let all = tables();
        let event = all.iter().find(|t| t.heading == "`[[event]]`").expect("listed");
        assert!(event.keys.contains(&"for") && event.keys.contains(&"clock-jump"));
        let top = all.iter().find(|t| t.heading == "Top level").expect("listed");
        assert!(top.keys.contains(&"field-report") && top.keys.contains(&"duration"));
        assert!(all.iter().all(|t| !t.keys.is_empty()), "every table has keys");
    }
}
