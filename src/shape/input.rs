//! Reading tool inputs: explicit nulls kept apart from absent members, blank ids refused.

use crate::error::ApiError;

/// For `Option<Option<T>>` fields: an absent member stays `None`, an explicit `null` becomes
/// `Some(None)`, so a given null reaches Portkey as null (it clears the value there).
/// Use with `#[serde(default, deserialize_with = "crate::shape::nullable")]`.
pub fn nullable<'de, D, T>(d: D) -> Result<Option<T>, D::Error>
where
    D: serde::Deserializer<'de>,
    T: serde::Deserialize<'de>,
{
    T::deserialize(d).map(Some)
}

/// An id or name that must not be blank (spaces only counts as blank).
pub fn nonblank(field: &str, s: &str) -> Result<(), ApiError> {
    if s.trim().is_empty() {
        Err(crate::registry::bad(format!("`{field}` must not be blank")))
    } else {
        Ok(())
    }
}
