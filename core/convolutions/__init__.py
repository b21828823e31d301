"""Images and Convolutions: an MLP and a CNN on the same digits, their shift and rotation tests, filters,
feature maps, occlusion maps and receptive fields."""
