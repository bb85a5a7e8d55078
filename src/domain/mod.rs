//! Plain types and rules of the asset map: no HTTP, no SQL.

pub mod asset;
pub mod bbox;
pub mod hours;
pub mod organization;
pub mod partnership;
pub mod patterns;
pub mod school;
pub mod sphere;
pub mod suggestion;
pub mod taxonomy;
pub mod user;
pub mod validate;

pub use asset::{
    Asset, AssetFields, Location, LocationError, Status, Translation, Translations, organization_id,
};
pub use bbox::{Bbox, BboxError};
pub use partnership::{Partnership, PartnershipFields, PartnershipStatus};
pub use school::{Catchment, School, SchoolRef, SchoolYear};
pub use user::{Role, User};
