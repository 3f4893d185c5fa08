{
  "targets": [
    {
      "target_name": "spice_native",
      "sources": ["src/addon.cc", "src/fds.cc", "src/shm.cc", "src/eventfd.cc", "src/unix-socket.cc", "src/tcp.cc", "src/thread.cc", "src/image-encoders.cc", "src/sasl.cc", "src/opus.cc", "src/lz4-block.cc", "src/row-copy.cc", "src/motion-rows.cc", "src/motion-search.cc", "src/graduality.cc", "src/content-hash.cc",
                  "src/video/yuv.cc", "src/video/jpeg.cc", "src/video/vp8.cc", "src/video/h264.cc", "src/video/h264-sps.cc",
                  "../codecs/image/lz/encoder.cc", "../codecs/image/quic/encoder.cc",
                  "../codecs/image/lz4/encoder.cc", "../codecs/image/glz/encoder.cc"],
      "include_dirs": ["<!(node -p \"require('node-addon-api').include_dir\")"],
      "defines": ["NAPI_DISABLE_CPP_EXCEPTIONS", "NODE_API_SWALLOW_UNTHROWABLE_EXCEPTIONS"],
      "cflags_cc": ["-std=c++17", "-Wall", "-Wextra"],
      "libraries": ["-lsasl2", "-llz4", "-lturbojpeg", "-lvpx", "-lopenh264", "-lopus"]
    }
  ]
}
