"""The encoders behind one interface (`base`): open_clip models (`clip`, the only code that calls open_clip) and the
training-free offline encoder (`colour_shape`). Import the module you need: `clip` loads torch."""
