//! The labels domain.

use crate::registry::ToolDef;

/// The tools of this domain, in the reference's order.
pub fn tools() -> Vec<ToolDef> {
    Vec::new()
}
