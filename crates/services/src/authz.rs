//! The one place services enforce authorization: the decision is the domain's matrix
//! ([`chiso_domain::authz::check`]); a refusal keeps its reason as a code, so pages, the API
//! and the CLI all say why.

use chiso_domain::authz::{self, Action, Principal, Resource};

use crate::error::ServiceResult;

/// Allows `action` on `resource` for `principal`, or refuses with the reason
/// (`denied_other_unit`, `denied_out_of_scope`, …).
pub fn authorize(principal: &Principal, action: Action, resource: &Resource) -> ServiceResult<()> {
    authz::check(principal, action, resource).map_err(Into::into)
}
