//! Small helpers the domain modules use to read Portkey's answers, build JSON and check inputs,
//! one file a concern; everything is re-exported here, so callers write `shape::items`.
//! JavaScript's number conventions live in `crate::js`.

mod answer;
mod build;
mod input;
mod lists;
mod time;

pub use answer::*;
pub use build::*;
pub use input::*;
pub use lists::*;
pub use time::*;

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn datetimes_need_seconds_a_zone_and_a_real_date() {
        for ok in [
            "2027-01-01T00:00:00Z",
            "2024-02-29T23:59:59.123+05:30",
            "2026-12-31T10:00:00-08:00",
        ] {
            assert!(is_datetime(ok), "{ok}");
        }
        for bad in [
            "2027-01-01",
            "2027-01-01T00:00Z",
            "2027-01-01T00:00:00",
            "2023-02-29T00:00:00Z",
            "2027-13-01T00:00:00Z",
            "2027-01-01T24:00:00Z",
            "2027-01-01T00:00:00.Z",
            "2027-01-01T00:00:00+0530",
        ] {
            assert!(!is_datetime(bad), "{bad}");
        }
    }

    #[test]
    fn body_without_drops_the_path_member_and_nonblank_refuses_spaces() {
        let body = body_without(&json!({"id": "x", "name": "n"}), "id").unwrap();
        assert_eq!(body, json!({"name": "n"}));
        assert!(nonblank("id", "  ").is_err());
        assert!(nonblank("id", "a").is_ok());
    }
}
