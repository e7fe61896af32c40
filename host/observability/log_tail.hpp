// The latest log lines of the process, kept in memory after redaction, for the console's live
// tail (GET /api/v1/logs and its event stream). A bounded ring: the oldest lines go first, and
// a reader that fell behind is told how many it missed. Thread-safe.
#pragma once

#include <Poco/Channel.h>
#include <Poco/Message.h>

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

namespace relais::host {

struct LogLine {
    uint64_t seq = 0;  // from 1, in the order lines were written
    int64_t time_ms = 0;
    std::string level;      // "information", "warning", ...
    Poco::Message::Priority priority = Poco::Message::PRIO_INFORMATION;
    std::string logger;     // "relais.plugin.chorus"
    std::string connector;  // "chorus" for the loggers under relais.plugin.<name>; "" otherwise
    std::string call;       // the call's id when the line is about one
    std::string message;    // already redacted
};

struct LogQuery {
    uint64_t after = 0;               // lines with a larger seq
    std::optional<std::string> connector;
    std::optional<Poco::Message::Priority> min_level;  // this level or more severe
    std::string text;                 // a substring of the message or logger, case-insensitive
    size_t limit = 200;
};

class LogTail {
public:
    explicit LogTail(size_t capacity = 2000);

    void add(const Poco::Message &message);

    // The lines matching `query`, oldest first, and the seq to ask after next time (the last
    // line looked at, matching or not, so filtered-out lines are not read again).
    struct Result {
        std::vector<LogLine> lines;
        uint64_t next_after = 0;
        uint64_t missed = 0;  // lines after query.after already gone from the ring
    };
    Result read(const LogQuery &query) const;

    // Waits until a line after `after` exists or `timeout` passes; true when one does.
    bool wait_after(uint64_t after, std::chrono::milliseconds timeout) const;

    uint64_t last_seq() const;

private:
    const size_t capacity_;
    mutable std::mutex mutex_;
    mutable std::condition_variable added_;
    std::deque<LogLine> lines_;
    uint64_t next_seq_ = 1;
};

// The one tail of this process, fed by logging (configure_logging) after redaction.
LogTail &log_tail();

// A channel that adds each message it gets to log_tail().
class LogTailChannel : public Poco::Channel {
public:
    void log(const Poco::Message &message) override { log_tail().add(message); }

protected:
    ~LogTailChannel() override = default;
};

// The level names of the tail: "debug", "information", "warning"... for a priority.
std::string level_name(Poco::Message::Priority priority);

}  // namespace relais::host
