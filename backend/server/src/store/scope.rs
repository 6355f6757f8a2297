//! The scope rule of `siaga_core::scope` as SQL, for lists: each fragment is true for exactly the rows the
//! core's rule covers, with the scope's limit bound to one `$n` placeholder (NULL: no limit). Single reads
//! and commands ask `siaga_core::scope::Scope` directly; a test below holds the two to the same answers.

/// The region a user `u` works for: its own, else its agency's.
pub const USER_REGION: &str =
    "COALESCE(u.region_code, (SELECT sa.region_code FROM agencies sa WHERE sa.id = u.agency_id))";

/// The region of a call `c`: its incident's, else the caller's locus (AML fix or the call taker's).
pub const CALL_REGION: &str = "COALESCE((SELECT si.region_code FROM incidents si WHERE si.id = c.incident_id), \
     c.region_code)";

/// The region of a unit `un`: its agency's.
pub const UNIT_REGION: &str = "(SELECT sa.region_code FROM agencies sa WHERE sa.id = un.agency_id)";

/// `siaga_core::scope::place_within($n, region)`: a place of no region is everyone's.
pub fn place_within(region: &str, n: u8) -> String {
    format!("(${n} IS NULL OR {region} IS NULL OR {region} = ${n} OR {region} LIKE ${n} || '.%')")
}

/// `siaga_core::scope::person_within($n, region)`: a person of no region is in no regional scope.
pub fn person_within(region: &str, n: u8) -> String {
    format!("(${n} IS NULL OR {region} = ${n} OR {region} LIKE ${n} || '.%')")
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The fragments and the core's rule answer alike, on SQLite, for scopes and regions that share prefixes.
    #[tokio::test]
    async fn the_sql_fragments_agree_with_the_core_rule() {
        use sqlx::Connection;
        let mut db = sqlx::SqliteConnection::connect("sqlite::memory:")
            .await
            .unwrap();
        let codes = [
            None,
            Some("21"),
            Some("21.71"),
            Some("21.71.10"),
            Some("21.710"),
            Some("31.71"),
        ];
        for scope in codes {
            for code in codes {
                for (sql, core) in [
                    (
                        place_within("$2", 1),
                        siaga_core::scope::place_within(scope, code),
                    ),
                    (
                        person_within("$2", 1),
                        siaga_core::scope::person_within(scope, code),
                    ),
                ] {
                    let got: Option<bool> = sqlx::query_scalar(&format!("SELECT {sql}"))
                        .bind(scope)
                        .bind(code)
                        .fetch_one(&mut db)
                        .await
                        .unwrap();
                    assert_eq!(got.unwrap_or(false), core, "{sql} with {scope:?}, {code:?}");
                }
            }
        }
    }
}
