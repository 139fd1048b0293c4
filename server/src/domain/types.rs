//! The identities the rules speak of, parsed once: what a key may do ([`Role`]).

/// What a key may do.
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
        [
            Role::Platform,
            Role::PlatformAdmin,
            Role::OrganisationAdmin,
            Role::ProcurementOfficer,
            Role::BidderRepresentative,
            Role::Supervisor,
        ]
        .into_iter()
        .find(|r| r.as_str() == name)
    }

    /// The platform's own key or a platform administrator's.
    pub fn is_platform(self) -> bool {
        matches!(self, Role::Platform | Role::PlatformAdmin)
    }
}

/// The kinds of organisation.
pub const ORGANISATION_KINDS: [&str; 5] =
    ["buyer", "supplier", "charity", "supervisor", "platform"];
