//! Administrative region codes (Kemendagri style: `21` province, `21.71` regency or city, `21.71.10` district,
//! `21.71.10.1003` village) and the one rule that relates them: a region contains itself and every code below
//! it. The rule is part of the public API: an account scoped to a region (its `region_code`) reaches what lies
//! in that region and the regions below it, and `siaga simulate --region` places incidents by the same rule.
//!
//! Codes are compared as text; no code is parsed or validated here.

/// Whether region `scope` contains region `code`: the same code, or a descendant of it.
///
/// A descendant extends `scope` by a `.` and at least one more segment, so `21.71` contains `21.71.10` but not
/// `21.710` (a different region that merely shares the leading digits).
///
/// ```
/// use siaga_core::region::contains;
///
/// assert!(contains("21.71", "21.71"));
/// assert!(contains("21.71", "21.71.10.1003"));
/// assert!(!contains("21.71", "21.710"));
/// ```
pub fn contains(scope: &str, code: &str) -> bool {
    code == scope
        || code
            .strip_prefix(scope)
            .is_some_and(|rest| rest.starts_with('.'))
}

#[cfg(test)]
mod tests {
    use super::contains;

    #[test]
    fn a_region_contains_itself_and_its_descendants_only() {
        assert!(contains("21.71", "21.71"));
        assert!(contains("21.71", "21.71.10"));
        assert!(contains("21.71", "21.71.10.1003"));
        assert!(!contains("21.71", "21.710"));
        assert!(!contains("21.71", "31.71"));
        assert!(
            !contains("21.71.10", "21.71"),
            "an ancestor is not contained"
        );
        assert!(!contains("21.71", ""));
    }
}
