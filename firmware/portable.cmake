# The portable firmware: int8 kernels, the model reader and the runtime.
# Freestanding C++17; built for the device by firmware/CMakeLists.txt and
# natively by the top-level build for host tests and the host target.
set(AIDI_FW_DIR ${CMAKE_CURRENT_LIST_DIR})
file(GLOB aidi_fw_kernels CONFIGURE_DEPENDS ${AIDI_FW_DIR}/kernels/ref/*.cpp ${AIDI_FW_DIR}/kernels/cm4/*.cpp)
add_library(aidi_fw_portable STATIC
  ${aidi_fw_kernels}
  ${AIDI_FW_DIR}/models/model_view.cpp
  ${AIDI_FW_DIR}/runtime/arena_plan.cpp
  ${AIDI_FW_DIR}/runtime/baseline_decisions.cpp
  ${AIDI_FW_DIR}/runtime/intermittent_runtime.cpp
  ${AIDI_FW_DIR}/runtime/nvm.cpp
  ${AIDI_FW_DIR}/runtime/resident_runtime.cpp
  ${AIDI_FW_DIR}/runtime/scheduler_policy.cpp
  ${AIDI_FW_DIR}/runtime/sensed_energy.cpp
  ${AIDI_FW_DIR}/runtime/kernel_set_cm4.cpp
  ${AIDI_FW_DIR}/runtime/kernel_set_ref.cpp
  ${AIDI_FW_DIR}/runtime/plain_inference.cpp
)
target_include_directories(aidi_fw_portable PUBLIC
  ${AIDI_FW_DIR}/kernels/include ${AIDI_FW_DIR}/models ${AIDI_FW_DIR}/runtime ${AIDI_FW_DIR}/drivers)
target_link_libraries(aidi_fw_portable PUBLIC aidi_protocol)
target_compile_features(aidi_fw_portable PUBLIC cxx_std_17)
target_compile_options(aidi_fw_portable PRIVATE -fno-exceptions -fno-rtti)
if(CMAKE_CROSSCOMPILING)
  # The Cortex-M4 kernels' assembly uses r7 and nearly every other register:
  # it needs the optimizer's register allocation and no frame pointer, in
  # any build type (a Debug build would otherwise not compile them).
  file(GLOB aidi_fw_cm4_kernels ${AIDI_FW_DIR}/kernels/cm4/*.cpp)
  set_source_files_properties(${aidi_fw_cm4_kernels} PROPERTIES COMPILE_OPTIONS "-O3;-fomit-frame-pointer")
endif()
aidi_warnings(aidi_fw_portable)

# The host target: the runtime with failure-injecting NVM, for crash sweeps.
if(NOT CMAKE_CROSSCOMPILING)
  add_library(aidi_fw_host STATIC
    ${AIDI_FW_DIR}/targets/host/crash_sweep.cpp
    ${AIDI_FW_DIR}/targets/host/failing_nvm.cpp
    ${AIDI_FW_DIR}/targets/host/file_nvm.cpp)
  target_include_directories(aidi_fw_host PUBLIC ${AIDI_FW_DIR}/targets/host)
  target_link_libraries(aidi_fw_host PUBLIC aidi_fw_portable)
  # Crash sweeps cost NVM traffic as the virtual board does.
  aidi_board_profile(aidi_fw_host mps2-an386)
  aidi_warnings(aidi_fw_host)
endif()
