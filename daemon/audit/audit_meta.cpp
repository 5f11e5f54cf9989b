#include "audit/audit_meta.h"

#include <cmath>

#include "audit/json_util.h"

namespace scx_custody::audit {
namespace {

using nlohmann::json;

Error bad_key(std::string_view document, std::string_view key, std::string_view expected) {
    return Error::usage(std::string(document) + " metadata: \"" + std::string(key) + "\" must be " +
                        std::string(expected));
}

// Each reader leaves `out` unchanged when the key is absent.
class Fields {
  public:
    Fields(const json& json, std::string_view document) : json_(json), document_(document) {}

    Status string(std::string_view key, std::string& out) const {
        const nlohmann::json* value = find_key(json_, key);
        if (!value)
            return ok_status();
        if (!value->is_string())
            return bad_key(document_, key, "a string");
        out = value->get<std::string>();
        return ok_status();
    }
    Status boolean(std::string_view key, bool& out) const {
        const nlohmann::json* value = find_key(json_, key);
        if (!value)
            return ok_status();
        if (!value->is_boolean())
            return bad_key(document_, key, "true or false");
        out = value->get<bool>();
        return ok_status();
    }
    Status u64(std::string_view key, uint64_t& out, uint64_t min = 0,
               uint64_t max = UINT64_MAX) const {
        const nlohmann::json* value = find_key(json_, key);
        if (!value)
            return ok_status();
        if (!is_u64(*value) || value->get<uint64_t>() < min || value->get<uint64_t>() > max) {
            return bad_key(document_, key,
                           "an integer from " + std::to_string(min) + " to " + std::to_string(max));
        }
        out = value->get<uint64_t>();
        return ok_status();
    }
    Status number(std::string_view key, double& out) const {
        const nlohmann::json* value = find_key(json_, key);
        if (!value)
            return ok_status();
        if (!value->is_number() || !std::isfinite(value->get<double>()) || value->get<double>() < 0)
            return bad_key(document_, key, "a non-negative number");
        out = value->get<double>();
        return ok_status();
    }
    Status strings(std::string_view key, std::vector<std::string>& out) const {
        const nlohmann::json* value = find_key(json_, key);
        if (!value)
            return ok_status();
        if (!value->is_array())
            return bad_key(document_, key, "an array of strings");
        std::vector<std::string> items;
        for (const nlohmann::json& item : *value) {
            if (!item.is_string())
                return bad_key(document_, key, "an array of strings");
            items.push_back(item.get<std::string>());
        }
        out = std::move(items);
        return ok_status();
    }
    Status of_type(std::string_view key, json& out, json::value_t type,
                   std::string_view expected) const {
        const nlohmann::json* value = find_key(json_, key);
        if (!value)
            return ok_status();
        if (value->type() != type)
            return bad_key(document_, key, expected);
        out = *value;
        return ok_status();
    }

  private:
    const json& json_;
    std::string_view document_;
};

#define RETURN_IF_ERROR(expr)                                                                      \
    do {                                                                                           \
        if (Status status_ = (expr); !status_)                                                     \
            return status_.error();                                                                \
    } while (false)

Status check_phase(const json& json, std::string_view document, std::string_view phase) {
    if (!json.is_object())
        return Error::usage(std::string(document) + " metadata is not a JSON object");
    if (metadata_phase(json) != phase) {
        return Error::usage(std::string(document) + " metadata: \"phase\" must be \"" +
                            std::string(phase) + "\"");
    }
    return ok_status();
}

} // namespace

std::string metadata_phase(const nlohmann::json& json) {
    return string_or(json, "phase");
}

nlohmann::json to_json(const pairing::EngineConfig& config) {
    return {
        {"kernel_has_core_sched", config.kernel_has_core_sched},
        {"max_tracked_tasks", static_cast<uint64_t>(config.max_tracked_tasks)},
        {"max_samples", static_cast<uint64_t>(config.max_samples)},
        {"max_cpus", config.max_cpus},
        {"assume_implements_dequeue", config.assume_implements_dequeue},
    };
}

Result<pairing::EngineConfig> engine_config_from_json(const nlohmann::json& json) {
    if (!json.is_object())
        return bad_key("start", "engine", "an object");
    const Fields fields(json, "start");
    pairing::EngineConfig config;
    uint64_t max_tracked_tasks = config.max_tracked_tasks;
    uint64_t max_samples = config.max_samples;
    uint64_t max_cpus = config.max_cpus;
    RETURN_IF_ERROR(fields.boolean("kernel_has_core_sched", config.kernel_has_core_sched));
    RETURN_IF_ERROR(fields.u64("max_tracked_tasks", max_tracked_tasks, 0, kMaxTrackedTasksLimit));
    RETURN_IF_ERROR(fields.u64("max_samples", max_samples, 0, kMaxSamplesLimit));
    RETURN_IF_ERROR(fields.u64("max_cpus", max_cpus, 0, kMaxCpusLimit));
    RETURN_IF_ERROR(fields.boolean("assume_implements_dequeue", config.assume_implements_dequeue));
    config.max_tracked_tasks = static_cast<std::size_t>(max_tracked_tasks);
    config.max_samples = static_cast<std::size_t>(max_samples);
    config.max_cpus = static_cast<uint32_t>(max_cpus);
    return config;
}

nlohmann::json to_json(const StartMetadata& start) {
    return {
        {"phase", kPhaseStart},
        {"producer", start.producer},
        {"kernel", start.kernel},
        {"command_line", start.command_line},
        {"options", start.options},
        {"strict", start.strict},
        {"attach_plan", start.attach_plan},
        {"coverage", {{"complete", start.coverage_complete}, {"notes", start.coverage_notes}}},
        {"engine", to_json(start.engine)},
        {"start_ts_ns", start.start_ts_ns},
    };
}

nlohmann::json to_json(const EndMetadata& end) {
    // Only finite non-negative durations read back (NaN would be written as null).
    const double duration_s =
        std::isfinite(end.duration_s) && end.duration_s >= 0 ? end.duration_s : 0.0;
    return {
        {"phase", kPhaseEnd},
        {"duration_s", duration_s},
        {"finish_ts_ns", end.finish_ts_ns},
        {"reference", end.reference},
        {"tracer", end.tracer},
        {"coverage_gaps", end.coverage_gaps},
    };
}

Result<StartMetadata> start_metadata_from_json(const nlohmann::json& json) {
    RETURN_IF_ERROR(check_phase(json, "start", kPhaseStart));
    const Fields fields(json, "start");
    StartMetadata start;
    RETURN_IF_ERROR(fields.string("producer", start.producer));
    RETURN_IF_ERROR(fields.string("kernel", start.kernel));
    RETURN_IF_ERROR(fields.strings("command_line", start.command_line));
    RETURN_IF_ERROR(
        fields.of_type("options", start.options, nlohmann::json::value_t::object, "an object"));
    RETURN_IF_ERROR(fields.boolean("strict", start.strict));
    RETURN_IF_ERROR(fields.of_type("attach_plan", start.attach_plan, nlohmann::json::value_t::array,
                                   "an array"));
    for (const nlohmann::json& hook : start.attach_plan) {
        if (!hook.is_object())
            return bad_key("start", "attach_plan", "an array of objects");
    }
    if (const nlohmann::json* coverage = find_key(json, "coverage")) {
        if (!coverage->is_object())
            return bad_key("start", "coverage", "an object");
        const Fields coverage_fields(*coverage, "start coverage");
        RETURN_IF_ERROR(coverage_fields.boolean("complete", start.coverage_complete));
        RETURN_IF_ERROR(coverage_fields.strings("notes", start.coverage_notes));
    }
    if (const nlohmann::json* engine = find_key(json, "engine")) {
        Result<pairing::EngineConfig> config = engine_config_from_json(*engine);
        if (!config)
            return config.error();
        start.engine = *config;
    }
    RETURN_IF_ERROR(fields.u64("start_ts_ns", start.start_ts_ns));
    return start;
}

Result<EndMetadata> end_metadata_from_json(const nlohmann::json& json) {
    RETURN_IF_ERROR(check_phase(json, "end", kPhaseEnd));
    const Fields fields(json, "end");
    EndMetadata end;
    RETURN_IF_ERROR(fields.number("duration_s", end.duration_s));
    RETURN_IF_ERROR(fields.u64("finish_ts_ns", end.finish_ts_ns));
    if (const nlohmann::json* reference = find_key(json, "reference")) {
        if (!reference->is_null() && !reference->is_object())
            return bad_key("end", "reference", "an object or null");
        end.reference = *reference;
    }
    RETURN_IF_ERROR(
        fields.of_type("tracer", end.tracer, nlohmann::json::value_t::object, "an object"));
    RETURN_IF_ERROR(fields.strings("coverage_gaps", end.coverage_gaps));
    return end;
}

} // namespace scx_custody::audit
