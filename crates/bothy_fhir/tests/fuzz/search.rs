//! FHIR search dates, as clients type them in `?date=` and `?authored=`.

use crate::config;
use bothy_fhir::search::{date_params, value_range};
use proptest::prelude::*;

fn date_like() -> impl Strategy<Value = String> {
    prop_oneof![
        "(eq|ne|gt|lt|ge|le|sa|eb|ap|xx)?[0-9]{4}(-[0-9]{2}(-[0-9]{2})?)?",
        "(ge|lt)?[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}(:[0-9]{2}(\\.[0-9]{1,9})?)?(Z|[+-][0-9]{2}:[0-9]{2})?",
        "(ge|le)?-?[0-9]{1,6}(-[0-9]{1,3}){0,3}",
        any::<String>(),
    ]
}

proptest! {
    #![proptest_config(config(512))]

    #[test]
    fn date_values_are_ranges_or_refused(values in proptest::collection::vec(date_like(), 0..4)) {
        for v in &values {
            if let Ok((start, end)) = value_range(v) {
                prop_assert!(start < end, "{v}: {start} to {end}");
            }
        }
        let refs: Vec<&str> = values.iter().map(String::as_str).collect();
        if let Err(message) = date_params(&refs) {
            prop_assert!(!message.is_empty());
        }
    }
}
