//! The identities the rules speak of, parsed once at the edge and compared as types: what
//! a key or a user may do ([`Role`]) and what an organisation is ([`OrganisationKind`]).
//! Their names appear in statements, tables and the API only through
//! [`Role::as_str`] and [`OrganisationKind::as_str`].

use std::fmt;

/// What a key or a user may do.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Role {
    /// The platform's own statement key.
    Platform,
    /// A platform administrator.
    PlatformAdmin,
    /// An organisation's administrator.
    OrganisationAdmin,
    /// A buyer's procurement officer.
    ProcurementOfficer,
    /// A supplier's representative.
    BidderRepresentative,
    /// A supervisory body's officer.
    Supervisor,
}

impl Role {
    /// Every role.
    pub const ALL: [Role; 6] = [
        Role::Platform,
        Role::PlatformAdmin,
        Role::OrganisationAdmin,
        Role::ProcurementOfficer,
        Role::BidderRepresentative,
        Role::Supervisor,
    ];

    /// The roles a user account (or a key registered by `key.registered`) may have: all
    /// but the platform's own key.
    pub const OF_USERS: [Role; 5] = [
        Role::PlatformAdmin,
        Role::OrganisationAdmin,
        Role::ProcurementOfficer,
        Role::BidderRepresentative,
        Role::Supervisor,
    ];

    /// The name used in statements and tables.
    pub fn as_str(self) -> &'static str {
        match self {
            Role::Platform => "platform",
            Role::PlatformAdmin => "platform_admin",
            Role::OrganisationAdmin => "organisation_admin",
            Role::ProcurementOfficer => "procurement_officer",
            Role::BidderRepresentative => "bidder_representative",
            Role::Supervisor => "supervisor",
        }
    }

    /// Parses a role name.
    pub fn parse(name: &str) -> Option<Role> {
        Role::ALL.into_iter().find(|r| r.as_str() == name)
    }

    /// Parses the role of a user account: any role but the platform's own key.
    pub fn parse_of_user(name: &str) -> Option<Role> {
        Role::parse(name).filter(|r| *r != Role::Platform)
    }

    /// The platform's own key or a platform administrator's.
    pub fn is_platform(self) -> bool {
        matches!(self, Role::Platform | Role::PlatformAdmin)
    }

    /// Whether a user of this role must set up a second factor before acting.
    pub fn needs_second_factor(self) -> bool {
        matches!(
            self,
            Role::ProcurementOfficer | Role::Supervisor | Role::PlatformAdmin
        )
    }

    /// Whether an organisation of `kind` may have users of this role. (Keys are not held
    /// to it: `key.registered` asks only that platform administrators be the platform's.)
    pub fn fits(self, kind: OrganisationKind) -> bool {
        match self {
            Role::Platform | Role::PlatformAdmin => kind == OrganisationKind::Platform,
            Role::ProcurementOfficer => {
                matches!(kind, OrganisationKind::Buyer | OrganisationKind::Charity)
            }
            Role::BidderRepresentative => kind == OrganisationKind::Supplier,
            Role::Supervisor => kind == OrganisationKind::Supervisor,
            Role::OrganisationAdmin => true,
        }
    }

    /// Whether a user of this role, in an organisation of `kind`, may send what the log
    /// takes anonymously (sealed bids, questions): a supplier's bidder representative or
    /// administrator.
    pub fn may_bid(self, kind: OrganisationKind) -> bool {
        kind == OrganisationKind::Supplier
            && matches!(self, Role::BidderRepresentative | Role::OrganisationAdmin)
    }
}

impl fmt::Display for Role {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// What an organisation is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum OrganisationKind {
    /// A procuring entity.
    Buyer,
    /// A bidder.
    Supplier,
    /// A charity, with funds.
    Charity,
    /// A supervisory body (audit office, market or charity regulator).
    Supervisor,
    /// The platform itself.
    Platform,
}

impl OrganisationKind {
    /// Every kind.
    pub const ALL: [OrganisationKind; 5] = [
        OrganisationKind::Buyer,
        OrganisationKind::Supplier,
        OrganisationKind::Charity,
        OrganisationKind::Supervisor,
        OrganisationKind::Platform,
    ];

    /// The name used in statements and tables.
    pub fn as_str(self) -> &'static str {
        match self {
            OrganisationKind::Buyer => "buyer",
            OrganisationKind::Supplier => "supplier",
            OrganisationKind::Charity => "charity",
            OrganisationKind::Supervisor => "supervisor",
            OrganisationKind::Platform => "platform",
        }
    }

    /// Parses a kind's name.
    pub fn parse(name: &str) -> Option<OrganisationKind> {
        OrganisationKind::ALL
            .into_iter()
            .find(|k| k.as_str() == name)
    }

    /// The names of every kind, for messages: `buyer, supplier, …`.
    pub fn names() -> String {
        OrganisationKind::ALL
            .map(OrganisationKind::as_str)
            .join(", ")
    }
}

impl fmt::Display for OrganisationKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The id of the platform's own organisation, registered by the genesis entry.
pub const PLATFORM_ORGANISATION: &str = "platform";

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_parse_back_to_what_they_name() {
        for role in Role::ALL {
            assert_eq!(Role::parse(role.as_str()), Some(role));
        }
        for kind in OrganisationKind::ALL {
            assert_eq!(OrganisationKind::parse(kind.as_str()), Some(kind));
        }
        assert_eq!(Role::parse("Platform_Admin"), None);
        assert_eq!(Role::parse_of_user("platform"), None);
        assert_eq!(OrganisationKind::parse("government"), None);
    }

    #[test]
    fn roles_fit_the_organisations_that_have_them() {
        use OrganisationKind::*;
        let fits = |role: Role| -> Vec<OrganisationKind> {
            OrganisationKind::ALL
                .into_iter()
                .filter(|k| role.fits(*k))
                .collect()
        };
        assert_eq!(fits(Role::PlatformAdmin), [Platform]);
        assert_eq!(fits(Role::ProcurementOfficer), [Buyer, Charity]);
        assert_eq!(fits(Role::BidderRepresentative), [Supplier]);
        assert_eq!(fits(Role::Supervisor), [Supervisor]);
        assert_eq!(fits(Role::OrganisationAdmin), OrganisationKind::ALL);
        assert!(Role::BidderRepresentative.may_bid(Supplier));
        assert!(Role::OrganisationAdmin.may_bid(Supplier));
        assert!(!Role::OrganisationAdmin.may_bid(Buyer));
        assert!(!Role::ProcurementOfficer.may_bid(Supplier));
        let second_factor: Vec<Role> = Role::ALL
            .into_iter()
            .filter(|r| r.needs_second_factor())
            .collect();
        assert_eq!(
            second_factor,
            [
                Role::PlatformAdmin,
                Role::ProcurementOfficer,
                Role::Supervisor
            ]
        );
    }
}
