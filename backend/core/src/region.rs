//! Region codes (Kemendagri: `21` province, `21.71` kab/kota, `21.71.10` kecamatan, `21.71.10.1003` desa) and
//! the one rule that decides whether a region scope covers a region.

/// Whether region `scope` contains `code`: the same code, or a descendant (`21.71` contains `21.71.10`, but
/// not `21.710`, which is another region that merely shares a prefix).
///
/// ```
/// use siaga_core::region::contains;
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
    use super::*;

    #[test]
    fn region_scope_is_hierarchical() {
        assert!(contains("21.71", "21.71"));
        assert!(contains("21.71", "21.71.10.1003"));
        assert!(!contains("21.71", "21.710"));
        assert!(!contains("21.71", "31.71"));
    }
}
