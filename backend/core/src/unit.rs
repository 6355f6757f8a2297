//! Units: responders' vehicles and teams, and the statuses they move through.

/// Declares a `Copy` enum whose values have stable snake_case names.
///
/// Generates: the enum (serde as the snake_case name, `utoipa::ToSchema`), `ALL` in declaration order, `as_str`,
/// `Display`, an `Unknown…` error type and `FromStr`. Paths are fully qualified so any module can use it with
/// `use crate::unit::string_enum;` alone.
macro_rules! string_enum {
    ($(#[$m:meta])* $name:ident, $err:ident, $what:literal { $($(#[$vm:meta])* $variant:ident => $s:literal),+ $(,)? }) => {
        $(#[$m])*
        #[derive(
            Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord,
            ::serde::Serialize, ::serde::Deserialize, ::utoipa::ToSchema,
        )]
        #[serde(rename_all = "snake_case")]
        pub enum $name { $($(#[$vm])* $variant),+ }

        impl $name {
            /// Every value, in a stable order.
            pub const ALL: &'static [$name] = &[$($name::$variant),+];
            /// The stable snake_case name used in the database, JSON and logs.
            pub fn as_str(self) -> &'static str { match self { $($name::$variant => $s),+ } }
        }

        impl ::std::fmt::Display for $name {
            fn fmt(&self, f: &mut ::std::fmt::Formatter<'_>) -> ::std::fmt::Result { f.write_str(self.as_str()) }
        }

        #[doc = concat!("The text was not a known ", $what, ".")]
        #[derive(Debug, Clone, PartialEq, Eq, ::thiserror::Error)]
        #[error("unknown {} `{}`; expected one of {}", $what, .0, [$($s),+].join(", "))]
        pub struct $err(pub String);

        impl ::std::str::FromStr for $name {
            type Err = $err;
            fn from_str(s: &str) -> Result<Self, Self::Err> {
                $name::ALL.iter().copied().find(|v| v.as_str() == s).ok_or_else(|| $err(s.to_owned()))
            }
        }
    };
}
pub(crate) use string_enum;

string_enum! {
    /// What a unit is. Recommendations filter on it.
    UnitType, UnknownUnitType, "unit type" {
        /// Ambulance (PSC 119, hospital, puskesmas).
        Ambulance => "ambulance",
        /// Fire engine (Damkar).
        FireEngine => "fire_engine",
        /// Rescue team or vehicle (BPBD, Basarnas, Damkar rescue).
        Rescue => "rescue",
        /// Police patrol car or motorbike.
        PolicePatrol => "police_patrol",
        /// Social services / DP3A outreach team.
        SocialTeam => "social_team",
        /// Traffic / transport unit (Dishub).
        Traffic => "traffic",
        /// Anything else.
        Other => "other",
    }
}

string_enum! {
    /// Where a unit stands in its duty cycle. Only `available` units are recommended.
    UnitStatus, UnknownUnitStatus, "unit status" {
        /// On duty and free to take an assignment.
        Available => "available",
        /// Assigned, not yet moving.
        Assigned => "assigned",
        /// Driving to the scene.
        EnRoute => "en_route",
        /// At the scene.
        OnScene => "on_scene",
        /// Not in service (maintenance, off shift).
        OutOfService => "out_of_service",
    }
}

string_enum! {
    /// What a unit drives: the road rules and speeds its routes, ETAs and coverage follow (the `siaga-roads`
    /// profile of the same name).
    Vehicle, UnknownVehicle, "vehicle" {
        /// Ambulance, fire engine, patrol car, rescue truck: public roads cars may use.
        Car => "car",
        /// Motorbike crews (PSC 119 "ambulans motor", Polres motorbike patrols, kampung outreach): also the
        /// tracks and gang paths open to motorbikes, never the toll roads.
        Motorbike => "motorbike",
    }
}

impl Default for Vehicle {
    /// A car: see [`UnitType::default_vehicle`].
    fn default() -> Self {
        Vehicle::Car
    }
}

impl UnitType {
    /// The vehicle a new unit of this type drives unless told otherwise: a car for every type. Motorbikes are
    /// common among police patrols and social teams, but so are cars, and a car's route is the safer default
    /// (a car's road is a motorbike's road too, except toll roads); a motorbike unit says so (`vehicle`).
    pub fn default_vehicle(self) -> Vehicle {
        Vehicle::Car
    }

    /// The incident category whose arrival target a unit of this type is planned against (the supervisor's
    /// coverage map draws the area reachable within it).
    pub fn arrival_category(self) -> crate::incident::Category {
        use crate::incident::Category;
        match self {
            UnitType::Ambulance => Category::Health,
            UnitType::FireEngine => Category::Fire,
            UnitType::Rescue => Category::NaturalDisaster,
            UnitType::PolicePatrol => Category::Crime,
            UnitType::SocialTeam => Category::ViolenceWomenChildren,
            UnitType::Traffic => Category::TrafficAccident,
            UnitType::Other => Category::Other,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unit_names_round_trip() {
        for t in UnitType::ALL {
            assert_eq!(t.as_str().parse::<UnitType>(), Ok(*t));
        }
        for s in UnitStatus::ALL {
            assert_eq!(s.as_str().parse::<UnitStatus>(), Ok(*s));
        }
        for v in Vehicle::ALL {
            assert_eq!(v.as_str().parse::<Vehicle>(), Ok(*v));
        }
        let err = "tank".parse::<UnitType>().unwrap_err();
        assert!(err.to_string().contains("fire_engine"));
    }
}
