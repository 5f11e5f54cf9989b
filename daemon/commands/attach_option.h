// --attach auto|kprobe, shared by the commands that attach the tracer.
#pragma once

#include "loader/attach_plan.h"

#include <CLI/CLI.hpp>

namespace scx_custody::commands {

CLI::Option* add_attach_option(CLI::App& cmd, loader::AttachPreference& preference);

} // namespace scx_custody::commands
