#include "host_services.hpp"

#include <Poco/Logger.h>
#include <Poco/Message.h>

namespace relais::host {
namespace {

Poco::Message::Priority priority_of(relais_log_level level) {
    switch (level) {
    case RELAIS_LOG_TRACE: return Poco::Message::PRIO_TRACE;
    case RELAIS_LOG_DEBUG: return Poco::Message::PRIO_DEBUG;
    case RELAIS_LOG_INFO: return Poco::Message::PRIO_INFORMATION;
    case RELAIS_LOG_WARN: return Poco::Message::PRIO_WARNING;
    case RELAIS_LOG_ERROR: return Poco::Message::PRIO_ERROR;
    }
    return Poco::Message::PRIO_ERROR;  // an out-of-range level is treated as important
}

// These run on plugin threads and must never throw back into plugin code.
void log(relais_host_ctx *ctx, relais_log_level level, const char *message) noexcept {
    if (!ctx || !ctx->logger || !message) return;
    try {
        const auto prio = priority_of(level);
        if (ctx->logger->is(prio)) ctx->logger->log(Poco::Message(ctx->logger->name(), message, prio));
    } catch (...) {
    }
}

int log_enabled(relais_host_ctx *ctx, relais_log_level level) noexcept {
    if (!ctx || !ctx->logger) return 0;
    return ctx->logger->is(priority_of(level)) ? 1 : 0;
}

const relais_host_services kServices = {
    sizeof(relais_host_services),
    RELAIS_ABI_VERSION,
    &log,
    &log_enabled,
};

}  // namespace

const relais_host_services *host_services() { return &kServices; }

std::unique_ptr<relais_host_ctx> make_host_ctx(const std::string &plugin_name) {
    auto ctx = std::make_unique<relais_host_ctx>();
    ctx->plugin_name = plugin_name;
    ctx->logger = &Poco::Logger::get("relais.plugin." + plugin_name);
    return ctx;
}

}  // namespace relais::host
