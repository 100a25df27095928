# OpenCV's core, imgproc and imgcodecs, found directly (as sslkit::opencv).
# Debian's OpenCVConfig.cmake and opencv4.pc come only with libopencv-dev,
# which pulls every OpenCV module (video I/O, ffmpeg, VTK, GUI: about 200
# packages more); the three -dev packages sslkit uses carry the headers and
# libraries but no CMake or pkg-config file. Used by CMakeLists.txt and by
# the installed sslkitConfig.cmake.
if(NOT TARGET sslkit::opencv)
  find_path(SSLKIT_OPENCV_INCLUDE_DIR opencv2/core.hpp PATH_SUFFIXES opencv4 REQUIRED)
  set(SSLKIT_OPENCV_LIBRARIES "")
  foreach(part imgcodecs imgproc core)
    find_library(SSLKIT_OPENCV_${part} NAMES opencv_${part} REQUIRED)
    list(APPEND SSLKIT_OPENCV_LIBRARIES ${SSLKIT_OPENCV_${part}})
  endforeach()
  add_library(sslkit::opencv INTERFACE IMPORTED)
  set_target_properties(sslkit::opencv PROPERTIES INTERFACE_INCLUDE_DIRECTORIES "${SSLKIT_OPENCV_INCLUDE_DIR}"
                                                  INTERFACE_LINK_LIBRARIES "${SSLKIT_OPENCV_LIBRARIES}")
endif()
