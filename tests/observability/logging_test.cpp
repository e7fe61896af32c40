#include "plugins/host_services.hpp"
#include "observability/logging.hpp"
#include "plugins/plugin_backend.hpp"

#include <catch2/catch.hpp>

#include <Poco/ConsoleChannel.h>
#include <Poco/DateTimeFormat.h>
#include <Poco/DateTimeParser.h>
#include <Poco/JSON/Object.h>
#include <Poco/JSON/Parser.h>
#include <Poco/Logger.h>
#include <Poco/Timestamp.h>

#include <unistd.h>

#include <cctype>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

using relais::host::configure_logging;
using relais::host::LogSettings;
using relais::host::parse_log_level;
using relais::host::Redactor;
using Catch::Matchers::Contains;

namespace {

// 2026-11-22T14:03:07.123456Z
constexpr Poco::Timestamp::TimeVal kFixedTime = 1795356187123456;

std::ostream &silent_stream() {
    static std::ostream sink(nullptr);  // no buffer: writes are dropped
    return sink;
}

// The logging configuration belongs to the process: each test installs its own, writing to
// a string, and leaves every logger silent (and off that string) when it ends.
class CapturedLog {
public:
    explicit CapturedLog(const LogSettings &settings = {}, std::shared_ptr<const Redactor> redactor = nullptr) {
        configure_logging(settings, std::move(redactor), out_);
    }
    ~CapturedLog() { configure_logging({"text", "none", {}}, nullptr, silent_stream()); }
    CapturedLog(const CapturedLog &) = delete;
    CapturedLog &operator=(const CapturedLog &) = delete;

    std::string text() const { return out_.str(); }
    std::vector<std::string> lines() const {
        std::vector<std::string> lines;
        std::istringstream in(out_.str());
        for (std::string line; std::getline(in, line);) lines.push_back(line);
        return lines;
    }

private:
    std::ostringstream out_;
};

Poco::Message fixed_message(const std::string &logger, const std::string &text, Poco::Message::Priority priority) {
    Poco::Message msg(logger, text, priority);
    msg.setTime(Poco::Timestamp(kFixedTime));
    return msg;
}

Poco::JSON::Object::Ptr parse_line(const std::string &line) {
    return Poco::JSON::Parser().parse(line).extract<Poco::JSON::Object::Ptr>();
}

std::string message_of(const std::string &line) { return line.substr(line.find(": ") + 2); }

}  // namespace

TEST_CASE("logging: a text line is the UTC time then the level then the logger and the message", "[logging]") {
    CapturedLog log({.format = "text", .level = "trace"});
    auto &logger = Poco::Logger::get("relais.plugin.chorus");

    logger.log(fixed_message("relais.plugin.chorus", "invoice 42 sent", Poco::Message::PRIO_INFORMATION));
    CHECK(log.text() == "2026-11-22T14:03:07.123Z INFO  relais.plugin.chorus: invoice 42 sent\n");

    for (auto priority : {Poco::Message::PRIO_TRACE, Poco::Message::PRIO_DEBUG, Poco::Message::PRIO_NOTICE,
                          Poco::Message::PRIO_WARNING, Poco::Message::PRIO_ERROR, Poco::Message::PRIO_CRITICAL,
                          Poco::Message::PRIO_FATAL})
        logger.log(fixed_message("relais.plugin.chorus", "m", priority));
    // A message's line breaks must not start a line a reader would take for a message.
    logger.log(fixed_message("relais.plugin.chorus", "first\nsecond\r\n", Poco::Message::PRIO_ERROR));
    CHECK(log.text() ==
          "2026-11-22T14:03:07.123Z INFO  relais.plugin.chorus: invoice 42 sent\n"
          "2026-11-22T14:03:07.123Z TRACE relais.plugin.chorus: m\n"
          "2026-11-22T14:03:07.123Z DEBUG relais.plugin.chorus: m\n"
          "2026-11-22T14:03:07.123Z NOTICE relais.plugin.chorus: m\n"
          "2026-11-22T14:03:07.123Z WARN  relais.plugin.chorus: m\n"
          "2026-11-22T14:03:07.123Z ERROR relais.plugin.chorus: m\n"
          "2026-11-22T14:03:07.123Z CRITICAL relais.plugin.chorus: m\n"
          "2026-11-22T14:03:07.123Z FATAL relais.plugin.chorus: m\n"
          "2026-11-22T14:03:07.123Z ERROR relais.plugin.chorus: first\\nsecond\\r\\n\n");
}

TEST_CASE("logging: a message logged now carries the current UTC time to the millisecond", "[logging]") {
    CapturedLog log({.format = "text"});
    // Milliseconds are truncated: compare with the bounds truncated the same way.
    const auto before = Poco::Timestamp().epochMicroseconds() / 1000 * 1000;
    Poco::Logger::get("relais.test.now").information("now");
    const auto after = Poco::Timestamp().epochMicroseconds();

    const auto lines = log.lines();
    REQUIRE(lines.size() == 1);
    const std::string shape = "dddd-dd-ddTdd:dd:dd.dddZ";  // d: a digit
    REQUIRE(lines[0].size() > shape.size());
    const auto time = lines[0].substr(0, shape.size());
    CHECK(lines[0].substr(shape.size()) == " INFO  relais.test.now: now");
    for (size_t i = 0; i < shape.size(); ++i) {
        INFO(time << " at " << i);
        CHECK((shape[i] == 'd' ? std::isdigit(static_cast<unsigned char>(time[i])) != 0 : time[i] == shape[i]));
    }
    int zone = -1;
    const auto logged = Poco::DateTimeParser::parse(Poco::DateTimeFormat::ISO8601_FRAC_FORMAT, time, zone);
    CHECK(zone == 0);
    CHECK(logged.timestamp().epochMicroseconds() >= before);
    CHECK(logged.timestamp().epochMicroseconds() <= after);
}

TEST_CASE("logging: JSON lines are one escaped JSON object per message", "[logging]") {
    CapturedLog log({.format = "json", .level = "debug"});
    auto &logger = Poco::Logger::get("relais.plugin.chorus");
    const std::string text = "say \"hi\"\n\ttab \\ slash / \xc3\xa9t\xc3\xa9";

    logger.log(fixed_message("relais.plugin.chorus", text, Poco::Message::PRIO_WARNING));
    const auto tid = std::to_string(::gettid());
    CHECK(log.text() == "{\"ts\":\"2026-11-22T14:03:07.123Z\",\"level\":\"warn\",\"logger\":\"relais.plugin.chorus\","
                        "\"message\":\"say \\\"hi\\\"\\n\\ttab \\\\ slash / \xc3\xa9t\xc3\xa9\",\"thread\":" +
                            tid + "}\n");

    auto parsed = parse_line(log.lines().at(0));
    CHECK(parsed->size() == 5);
    CHECK(parsed->getValue<std::string>("ts") == "2026-11-22T14:03:07.123Z");
    CHECK(parsed->getValue<std::string>("level") == "warn");
    CHECK(parsed->getValue<std::string>("logger") == "relais.plugin.chorus");
    CHECK(parsed->getValue<std::string>("message") == text);
    CHECK(std::to_string(parsed->getValue<Poco::Int64>("thread")) == tid);

    // The thread is the OS thread that logged, a std::thread too (Poco numbers only its own).
    long other_tid = 0;
    std::thread([&] {
        other_tid = static_cast<long>(::gettid());
        logger.information("from another thread");
    }).join();
    // Bytes that are not UTF-8 still make a valid line.
    logger.error("bad bytes: \xff\xfe");
    logger.trace("below the level: dropped");

    const auto lines = log.lines();
    REQUIRE(lines.size() == 3);
    auto from_thread = parse_line(lines[1]);
    CHECK(from_thread->getValue<std::string>("level") == "info");
    CHECK(from_thread->getValue<Poco::Int64>("thread") == other_tid);
    CHECK(from_thread->getValue<Poco::Int64>("thread") != parsed->getValue<Poco::Int64>("thread"));
    CHECK(parse_line(lines[2])->getValue<std::string>("message") == "bad bytes: \xef\xbf\xbd\xef\xbf\xbd");
}

TEST_CASE("logging: level names", "[logging]") {
    using P = Poco::Message;
    CHECK(parse_log_level("trace") == P::PRIO_TRACE);
    CHECK(parse_log_level("debug") == P::PRIO_DEBUG);
    CHECK(parse_log_level("information") == P::PRIO_INFORMATION);
    CHECK(parse_log_level("info") == P::PRIO_INFORMATION);
    CHECK(parse_log_level("notice") == P::PRIO_NOTICE);
    CHECK(parse_log_level("warning") == P::PRIO_WARNING);
    CHECK(parse_log_level("warn") == P::PRIO_WARNING);
    CHECK(parse_log_level("error") == P::PRIO_ERROR);
    CHECK(parse_log_level("critical") == P::PRIO_CRITICAL);
    CHECK(parse_log_level("fatal") == P::PRIO_FATAL);
    CHECK(parse_log_level("none") == 0);
    CHECK(parse_log_level("WARN") == P::PRIO_WARNING);
    CHECK(parse_log_level("Info") == P::PRIO_INFORMATION);
    for (const char *bad : {"verbose", "", "warnings", "5"}) {
        INFO(bad);
        CHECK_THROWS_AS(parse_log_level(bad), std::invalid_argument);
        CHECK_THROWS_WITH(parse_log_level(bad), Contains("'" + std::string(bad) + "'"));
    }
}

TEST_CASE("logging: a rejected configuration changes nothing", "[logging]") {
    std::ostringstream elsewhere;
    CapturedLog log({.level = "information"});

    CHECK_THROWS_WITH(configure_logging({.format = "xml"}, nullptr, elsewhere), Contains("'xml'"));
    CHECK_THROWS_WITH(configure_logging({.level = "loud"}, nullptr, elsewhere), Contains("'loud'"));
    CHECK_THROWS_WITH(configure_logging({.levels = {{"relais.test.rejected", "chatty"}}}, nullptr, elsewhere),
                      Contains("'chatty'"));
    CHECK_THROWS_AS(configure_logging({.format = "xml"}, nullptr, elsewhere), std::invalid_argument);

    Poco::Logger::get("relais.test.rejected").information("still here");
    Poco::Logger::get("relais.test.rejected").debug("still at information");
    CHECK(elsewhere.str().empty());
    REQUIRE(log.lines().size() == 1);
    CHECK(message_of(log.lines()[0]) == "still here");
}

TEST_CASE("logging: per-logger levels reach loggers created after configuration", "[logging]") {
    // A plugin's logger is created when the plugin is loaded, after the configuration.
    REQUIRE(Poco::Logger::has("relais.plugin.latecomer").isNull());
    REQUIRE(Poco::Logger::has("relais.plugin.latecomer.http").isNull());
    REQUIRE(Poco::Logger::has("relais.plugin.latecomer_ctx").isNull());
    // One that existed before, at the level of the time.
    auto &early = Poco::Logger::get("relais.test.early.child");
    early.setLevel(Poco::Message::PRIO_TRACE);

    CapturedLog log({.format = "text",
                     .level = "warning",
                     .levels = {{"relais.plugin.latecomer", "debug"},
                                {"relais.plugin.latecomer_ctx", "trace"},
                                {"relais.test.early", "error"}}});

    auto &late = Poco::Logger::get("relais.plugin.latecomer");
    auto &below = Poco::Logger::get("relais.plugin.latecomer.http");
    auto &sibling = Poco::Logger::get("relais.plugin.latecomer_sibling");
    CHECK(late.getLevel() == Poco::Message::PRIO_DEBUG);
    CHECK(below.getLevel() == Poco::Message::PRIO_DEBUG);
    CHECK(sibling.getLevel() == Poco::Message::PRIO_WARNING);
    CHECK(early.getLevel() == Poco::Message::PRIO_ERROR);
    CHECK(Poco::Logger::root().getLevel() == Poco::Message::PRIO_WARNING);

    // As the loader does: the context of a plugin loaded now, and what the plugin asks it.
    const auto ctx = relais::host::make_host_ctx("latecomer_ctx");
    const auto *services = relais::host::host_services();
    CHECK(services->log_enabled(ctx.get(), RELAIS_LOG_TRACE) == 1);
    services->log(ctx.get(), RELAIS_LOG_TRACE, "ctx trace");

    late.debug("late debug");
    late.trace("late trace");
    below.debug("below debug");
    sibling.information("sibling information");
    sibling.warning("sibling warning");
    early.warning("early warning");
    early.error("early error");

    std::vector<std::string> messages;
    for (const auto &line : log.lines()) messages.push_back(message_of(line));
    CHECK(messages == std::vector<std::string>{"ctx trace", "late debug", "below debug", "sibling warning", "early error"});
    CHECK_THAT(log.lines().at(0), Contains("TRACE relais.plugin.latecomer_ctx: ctx trace"));
}

TEST_CASE("logging: reconfiguring replaces the output and the format and the levels", "[logging]") {
    // A logger that had a channel of its own before the first configuration (as the CLI's
    // stderr channel): it must write where the configuration says from now on.
    std::ostringstream stale;
    auto &preexisting = Poco::Logger::get("relais.test.reconf.preexisting");
    preexisting.setChannel(new Poco::ConsoleChannel(stale));

    std::ostringstream second;
    CapturedLog first({.format = "text", .level = "information", .levels = {{"relais.test.reconf.chatty", "debug"}}});
    auto &chatty = Poco::Logger::get("relais.test.reconf.chatty");
    auto &plain = Poco::Logger::get("relais.test.reconf.plain");
    chatty.debug("one");
    plain.information("two");
    preexisting.information("three");

    configure_logging({.format = "json", .level = "error", .levels = {{"relais.test.reconf.plain", "information"}}},
                      nullptr, second);
    CHECK(chatty.getLevel() == Poco::Message::PRIO_ERROR);
    CHECK(plain.getLevel() == Poco::Message::PRIO_INFORMATION);
    chatty.debug("dropped");
    chatty.error("four");
    plain.information("five");
    preexisting.error("six");

    CHECK(stale.str().empty());
    std::vector<std::string> before;
    for (const auto &line : first.lines()) before.push_back(message_of(line));
    CHECK(before == std::vector<std::string>{"one", "two", "three"});

    std::vector<std::string> after;
    std::istringstream in(second.str());
    for (std::string line; std::getline(in, line);) after.push_back(parse_line(line)->getValue<std::string>("message"));
    CHECK(after == std::vector<std::string>{"four", "five", "six"});
}

TEST_CASE("logging: a secret logged by a plugin never reaches the output", "[logging]") {
    const std::string secret = "tok\"en/s3cr3t-42";
    const std::string later_secret = "added-after-configuration";
    auto redactor = std::make_shared<Redactor>();
    REQUIRE(redactor->add(secret));

    const std::string format = GENERATE("text", "json");
    INFO(format);
    CapturedLog log({.format = format, .level = "information"}, redactor);
    auto &logger = Poco::Logger::get("relais.plugin.x");

    logger.error("token=" + secret);
    // Logged inside a JSON body the plugin sent: the secret's JSON-escaped form.
    Poco::JSON::Object body;
    body.set("password", secret);
    std::ostringstream body_text;
    body.stringify(body_text);
    logger.information("request body: " + body_text.str());
    // Through the host services, as a plugin does.
    const auto ctx = relais::host::make_host_ctx("x");
    relais::host::host_services()->log(ctx.get(), RELAIS_LOG_WARN, ("retrying with " + secret).c_str());
    // A secret added once logging runs (a connector configured later) is hidden as well.
    REQUIRE(redactor->add(later_secret));
    logger.error("key " + later_secret);

    const auto output = log.text();
    CHECK(log.lines().size() == 4);
    CHECK(output.find("s3cr3t") == std::string::npos);
    CHECK(output.find(later_secret) == std::string::npos);
    std::size_t hidden = 0;
    for (auto pos = output.find("[redacted]"); pos != std::string::npos; pos = output.find("[redacted]", pos + 1)) ++hidden;
    CHECK(hidden == 4);
    CHECK_THAT(output, Contains("token=[redacted]"));
    CHECK_THAT(output, Contains("key [redacted]"));
}

namespace {

// A call's services as the host sets them around a plugin call: its logger and id.
struct LoggedCall final : relais_call_ctx {
    relais_status acquire_quota(uint32_t, uint64_t, uint64_t *) override { return RELAIS_OK; }
    bool cancelled() const override { return false; }
    uint64_t remaining_ms() const override { return UINT64_MAX; }
};

}  // namespace

TEST_CASE("logging: call_log lines carry the call's id, and secrets are redacted in them", "[logging]") {
    const std::string secret = "piste-client-s3cr3t";
    auto redactor = std::make_shared<Redactor>();
    REQUIRE(redactor->add(secret));
    const std::string format = GENERATE("text", "json");
    INFO(format);
    CapturedLog log({.format = format, .level = "information"}, redactor);

    const auto ctx = relais::host::make_host_ctx("calllog");
    const auto *services = relais::host::host_services();
    LoggedCall first, second;
    first.logger = second.logger = ctx->logger;
    first.call_id = "job-42";
    second.call_id = "job-7";
    services->call_log(&first, RELAIS_LOG_INFO, ("token asked with " + secret).c_str());
    services->call_log(&second, RELAIS_LOG_WARN, "invoice F-7 deposited");
    services->call_log(&first, RELAIS_LOG_ERROR, "invoice F-42 rejected");
    services->call_log(&first, RELAIS_LOG_DEBUG, "below the level: dropped");
    // Nothing, and no crash: no call, a call the host did not set up, no message.
    services->call_log(nullptr, RELAIS_LOG_ERROR, "no call");
    LoggedCall bare;
    services->call_log(&bare, RELAIS_LOG_ERROR, "no logger");
    services->call_log(&first, RELAIS_LOG_ERROR, nullptr);

    const auto lines = log.lines();
    REQUIRE(lines.size() == 3);
    CHECK(log.text().find("s3cr3t") == std::string::npos);
    // One job's story, read with grep.
    std::vector<std::string> job_42;
    for (const auto &line : lines)
        if (line.find("[job-42] ") != std::string::npos) job_42.push_back(line);
    REQUIRE(job_42.size() == 2);
    if (format == "text") {
        CHECK_THAT(job_42[0], Contains(" INFO  relais.plugin.calllog: [job-42] token asked with [redacted]"));
        CHECK_THAT(job_42[1], Contains(" ERROR relais.plugin.calllog: [job-42] invoice F-42 rejected"));
        CHECK_THAT(lines[1], Contains(" WARN  relais.plugin.calllog: [job-7] invoice F-7 deposited"));
    } else {
        const auto line = parse_line(job_42[0]);
        CHECK(line->getValue<std::string>("call") == "job-42");
        CHECK(line->getValue<std::string>("message") == "[job-42] token asked with [redacted]");
        CHECK(line->getValue<std::string>("logger") == "relais.plugin.calllog");
        CHECK(parse_line(lines[1])->getValue<std::string>("call") == "job-7");
        // A line that is not about a call has no such field.
        Poco::Logger::get("relais.plugin.calllog").information("not about a call");
        CHECK_FALSE(parse_line(log.lines().at(3))->has("call"));
    }
}
