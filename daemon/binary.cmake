# The scx-custody binary: one self-contained executable with the BPF
# skeletons embedded (included from daemon/CMakeLists.txt when BPF is on).
# Its stages are libraries of their own: util, loader, live, commands (and,
# from daemon/CMakeLists.txt, pairing, record, consumer, audit).
find_package(spdlog REQUIRED)
find_package(CLI11 REQUIRED)
find_package(nlohmann_json REQUIRED)
find_package(PkgConfig REQUIRED)
pkg_check_modules(LIBSYSTEMD REQUIRED IMPORTED_TARGET libsystemd)

pkg_check_modules(LIBCAP REQUIRED IMPORTED_TARGET libcap)

add_library(custody_util STATIC
  util/capabilities.cpp
  util/kernel_env.cpp
  util/kv_config.cpp
  util/output_file.cpp
  util/signals.cpp)
target_include_directories(custody_util PUBLIC ${CMAKE_CURRENT_SOURCE_DIR})
target_link_libraries(custody_util PUBLIC PkgConfig::LIBCAP)

# sd_notify() for `run` under a Type=notify unit with a watchdog.
add_library(custody_systemd_notify STATIC util/systemd_notify.cpp)
target_include_directories(custody_systemd_notify PUBLIC ${CMAKE_CURRENT_SOURCE_DIR})
target_link_libraries(custody_systemd_notify PUBLIC spdlog::spdlog PkgConfig::LIBSYSTEMD)

# Attach: the custody tracer and the reference scheduler, loaded into the kernel.
add_library(custody_loader STATIC
  loader/attach_plan.cpp
  loader/kernel_btf.cpp
  loader/libbpf_logging.cpp
  loader/ref_knobs.cpp
  loader/ref_scheduler.cpp
  loader/ref_stats.cpp
  loader/sched_programs.cpp
  loader/tracer.cpp)
add_dependencies(custody_loader bpf_skeletons_gen)
# Tracer::Impl holds the skeleton and link handles, whose deleters live in
# tracer.cpp's anonymous namespace: compiled inside a unity source, GCC would
# warn that the class uses another file's internal types (-Wsubobject-linkage).
set_source_files_properties(loader/tracer.cpp PROPERTIES SKIP_UNITY_BUILD_INCLUSION ON)
target_include_directories(custody_loader PUBLIC ${CMAKE_CURRENT_SOURCE_DIR})
target_link_libraries(custody_loader PUBLIC custody_util bpf_skeletons spdlog::spdlog
  nlohmann_json::nlohmann_json)

# One audit on this machine: the tracer, the consumer and the session, phase by phase.
add_library(custody_live STATIC
  live/bpf_program_stats.cpp
  live/child_process.cpp
  live/finding_log.cpp
  live/live_audit.cpp
  live/sched_watcher.cpp
  live/scheduler_follower.cpp)
target_include_directories(custody_live PUBLIC ${CMAKE_CURRENT_SOURCE_DIR})
target_compile_definitions(custody_live PRIVATE SCX_CUSTODY_VERSION="${PROJECT_VERSION}")
target_link_libraries(custody_live PUBLIC custody_loader custody_consumer_ring custody_consumer
  custody_audit custody_prometheus spdlog::spdlog)

# The subcommands: audit, replay, run, probe, sched.
add_library(custody_commands STATIC
  commands/attach_option.cpp
  commands/audit_command.cpp
  commands/daemon_status.cpp
  commands/probe_command.cpp
  commands/run_command.cpp
  commands/run_privileges.cpp
  commands/sched_command.cpp)
target_include_directories(custody_commands PUBLIC ${CMAKE_CURRENT_SOURCE_DIR})
target_compile_definitions(custody_commands PRIVATE SCX_CUSTODY_VERSION="${PROJECT_VERSION}")
target_link_libraries(custody_commands PUBLIC custody_live custody_loader
  custody_systemd_notify custody_prometheus CLI11::CLI11 nlohmann_json::nlohmann_json)

add_executable(scx-custody main.cpp)
target_compile_definitions(scx-custody PRIVATE SCX_CUSTODY_VERSION="${PROJECT_VERSION}")
target_link_libraries(scx-custody PRIVATE custody_commands)
install(TARGETS scx-custody RUNTIME DESTINATION sbin)
