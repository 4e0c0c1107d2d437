{
  "targets": [
    {
      "target_name": "splam_native",
      "sources": ["src/addon.cc", "src/conv.cc", "src/group_norm.cc"],
      "libraries": ["-ldnnl", "-fopenmp"],
      "cflags_cc": ["-O2", "-std=c++17", "-fexceptions", "-fopenmp"],
      "cflags_cc!": ["-fno-exceptions", "-fno-rtti"],
      "defines": ["NAPI_VERSION=8"]
    }
  ]
}
