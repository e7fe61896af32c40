#include "observability/log_tail.hpp"

#include "observability/logging.hpp"

#include <Poco/String.h>

#include <algorithm>

namespace relais::host {

std::string level_name(Poco::Message::Priority priority) {
    switch (priority) {
    case Poco::Message::PRIO_FATAL: return "fatal";
    case Poco::Message::PRIO_CRITICAL: return "critical";
    case Poco::Message::PRIO_ERROR: return "error";
    case Poco::Message::PRIO_WARNING: return "warning";
    case Poco::Message::PRIO_NOTICE: return "notice";
    case Poco::Message::PRIO_INFORMATION: return "information";
    case Poco::Message::PRIO_DEBUG: return "debug";
    case Poco::Message::PRIO_TRACE: return "trace";
    }
    return "information";
}

LogTail::LogTail(size_t capacity) : capacity_(std::max<size_t>(capacity, 1)) {}

void LogTail::add(const Poco::Message &message) {
    LogLine line;
    line.time_ms = message.getTime().epochMicroseconds() / 1000;
    line.priority = message.getPriority();
    line.level = level_name(line.priority);
    line.logger = message.getSource();
    static const std::string plugin_prefix = "relais.plugin.";
    if (line.logger.rfind(plugin_prefix, 0) == 0) {
        line.connector = line.logger.substr(plugin_prefix.size());
        line.connector = line.connector.substr(0, line.connector.find('.'));
    }
    if (message.has(kCallField)) line.call = message.get(kCallField);
    line.message = message.getText();
    {
        std::lock_guard lock(mutex_);
        line.seq = next_seq_++;
        lines_.push_back(std::move(line));
        if (lines_.size() > capacity_) lines_.pop_front();
    }
    added_.notify_all();
}

LogTail::Result LogTail::read(const LogQuery &query) const {
    const auto needle = Poco::toLower(query.text);
    std::lock_guard lock(mutex_);
    Result r;
    r.next_after = query.after;
    if (!lines_.empty() && lines_.front().seq > query.after + 1 && query.after > 0)
        r.missed = lines_.front().seq - query.after - 1;
    // Lines are in seq order: start at the first after query.after.
    auto it = std::partition_point(lines_.begin(), lines_.end(), [&](const LogLine &l) { return l.seq <= query.after; });
    for (; it != lines_.end() && r.lines.size() < query.limit; ++it) {
        r.next_after = it->seq;
        if (query.connector && it->connector != *query.connector) continue;
        // Poco's priorities grow as severity falls (PRIO_FATAL is 1).
        if (query.min_level && it->priority > *query.min_level) continue;
        if (!needle.empty() && Poco::toLower(it->message).find(needle) == std::string::npos &&
            Poco::toLower(it->logger).find(needle) == std::string::npos)
            continue;
        r.lines.push_back(*it);
    }
    return r;
}

bool LogTail::wait_after(uint64_t after, std::chrono::milliseconds timeout) const {
    std::unique_lock lock(mutex_);
    return added_.wait_for(lock, timeout, [&] { return next_seq_ - 1 > after; });
}

uint64_t LogTail::last_seq() const {
    std::lock_guard lock(mutex_);
    return next_seq_ - 1;
}

LogTail &log_tail() {
    // Never destroyed: loggers may still log during static destruction.
    static auto *const instance = new LogTail;
    return *instance;
}

}  // namespace relais::host
