/* Links a model file and the Fashion-MNIST subset into flash, 4-byte
   aligned so the model is read in place. Paths come from the build. */
  .section .rodata.aidi_model, "a"
  .balign 8
  .global aidi_model_start, aidi_model_end
aidi_model_start:
  .incbin AIDI_MODEL_FILE
aidi_model_end:

  .section .rodata.aidi_subset, "a"
  .balign 8
  .global aidi_subset_start, aidi_subset_end
aidi_subset_start:
  .incbin AIDI_SUBSET_FILE
aidi_subset_end:
