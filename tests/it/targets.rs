//! Targets: placeholder until the targets work lands.
