{
  "targets": [
    {
      "target_name": "splam_native",
      "sources": ["src/addon.cc", "src/adamw.cc", "src/conv.cc", "src/elementwise.cc", "src/group_norm.cc", "src/reduce.cc"],
      "libraries": ["-ldnnl", "-fopenmp", "-lmvec", "-lm"],
      "cflags_cc": ["-O2", "-std=c++17", "-fexceptions", "-fopenmp", "-ffp-contract=off"],
      "cflags_cc!": ["-fno-exceptions", "-fno-rtti"],
      "defines": ["NAPI_VERSION=8"]
    }
  ]
}
