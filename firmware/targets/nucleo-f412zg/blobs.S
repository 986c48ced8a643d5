/* The model and the first AIDI_IMAGES images of the Fashion-MNIST subset in
   flash (subset layout: fixtures/fashion-mnist/README.md: 20-byte header,
   1000 labels, then 784-byte images; the bench holds the labels). */
  .section .rodata.aidi_model, "a"
  .balign 8
  .global aidi_model_start, aidi_model_end
aidi_model_start:
  .incbin AIDI_MODEL_FILE
aidi_model_end:

  .section .rodata.aidi_subset, "a"
  .balign 4
  .global aidi_images_start
aidi_images_start:
  .incbin AIDI_SUBSET_FILE, 1020, AIDI_IMAGES * 784
