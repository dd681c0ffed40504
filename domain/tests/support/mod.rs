//! What the test binaries share: mock clouds answering in each provider's documented shapes
//! (`mock_clouds`), and a shop with a plan on sale (`shop`).

// Each test binary compiles this module on its own (`mod support;`) and uses only part of it;
// without this, every binary would warn about the helpers it happens not to call.
#![allow(dead_code)]

pub mod mock_clouds;
pub mod shop;
