//! trellis-ui: the egui window. (Being built.)
