# The scx-custody binary: one self-contained executable with the BPF
# skeletons embedded (included from daemon/CMakeLists.txt when BPF is on).
find_package(spdlog REQUIRED)
find_package(CLI11 REQUIRED)
find_package(nlohmann_json REQUIRED)
find_package(PkgConfig REQUIRED)
pkg_check_modules(LIBSYSTEMD REQUIRED IMPORTED_TARGET libsystemd)

add_library(custody_util STATIC
  util/kernel_env.cpp
  util/kv_config.cpp
  util/output_file.cpp
  util/signals.cpp)
target_include_directories(custody_util PUBLIC ${CMAKE_CURRENT_SOURCE_DIR})

# sd_notify() for `run` under a Type=notify unit with a watchdog.
add_library(custody_systemd_notify STATIC util/systemd_notify.cpp)
target_include_directories(custody_systemd_notify PUBLIC ${CMAKE_CURRENT_SOURCE_DIR})
target_link_libraries(custody_systemd_notify PUBLIC spdlog::spdlog PkgConfig::LIBSYSTEMD)

add_library(custody_loader STATIC
  commands/attach_option.cpp
  commands/audit_command.cpp
  commands/run_command.cpp
  live/bpf_program_stats.cpp
  live/child_process.cpp
  live/finding_log.cpp
  live/live_audit.cpp
  live/sched_watcher.cpp
  live/scheduler_follower.cpp
  loader/attach_plan.cpp
  loader/kernel_btf.cpp
  loader/libbpf_logging.cpp
  loader/sched_programs.cpp
  loader/tracer.cpp
  probe/probe_command.cpp
  sched/ref_knobs.cpp
  sched/ref_stats.cpp
  sched/ref_scheduler.cpp
  sched/sched_command.cpp)
add_dependencies(custody_loader bpf_skeletons_gen)
target_include_directories(custody_loader PUBLIC ${CMAKE_CURRENT_SOURCE_DIR})
target_compile_definitions(custody_loader PRIVATE SCX_CUSTODY_VERSION="${PROJECT_VERSION}")
target_link_libraries(custody_loader PUBLIC custody_util custody_systemd_notify custody_audit custody_consumer custody_prometheus bpf_skeletons spdlog::spdlog
  CLI11::CLI11 nlohmann_json::nlohmann_json)

add_executable(scx-custody main.cpp)
target_compile_definitions(scx-custody PRIVATE SCX_CUSTODY_VERSION="${PROJECT_VERSION}")
target_link_libraries(scx-custody PRIVATE custody_loader)
install(TARGETS scx-custody RUNTIME DESTINATION sbin)
