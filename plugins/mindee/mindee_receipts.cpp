#include "mindee_receipts.hpp"

#include "mindee_expense.hpp"
#include "mindee_json.hpp"

#include <Poco/DateTimeFormat.h>
#include <Poco/DateTimeFormatter.h>
#include <Poco/Timestamp.h>

#include <algorithm>
#include <cmath>
#include <regex>
#include <thread>

namespace relais::mindee {

using namespace std::chrono;

namespace {

// A job step waits this long at most for the quota, then continues later instead.
constexpr milliseconds kJobQuotaWait{2000};
// The state's values are at most 1 MiB; a stored answer keeps a margin under it.
constexpr std::size_t kMaxStoredBytes = 1000 * 1000;

int64_t now_ms() { return duration_cast<milliseconds>(system_clock::now().time_since_epoch()).count(); }

std::string iso_time(int64_t ms) {
    return Poco::DateTimeFormatter::format(Poco::Timestamp(ms * 1000), Poco::DateTimeFormat::ISO8601_FORMAT);
}

// Tomorrow in UTC: a receipt dated after it is in the future wherever it was printed.
std::string tomorrow() {
    return Poco::DateTimeFormatter::format(Poco::Timestamp() + Poco::Timespan(1, 0, 0, 0, 0), "%Y-%m-%d");
}

bool readable_kind(support::MediaKind k) {
    using K = support::MediaKind;
    return k == K::pdf || k == K::jpeg || k == K::png || k == K::webp || k == K::tiff || k == K::heic || k == K::heif;
}

bool flag(const Json &input, const char *key) {
    if (!input->has(key) || input->isNull(key)) return false;
    const auto v = input->get(key);
    if (!v.isBoolean()) throw invalid_input(std::string(key) + " must be true or false");
    return v.extract<bool>();
}

Json reason_detail(const std::string &field, const std::string &reason) {
    Json d = new Poco::JSON::Object;
    d->set("field", field);
    d->set("reason", reason);
    return d;
}

Json object(std::initializer_list<std::pair<const char *, Poco::Dynamic::Var>> members) {
    Json o = new Poco::JSON::Object(Poco::JSON_PRESERVE_KEY_ORDER);
    for (const auto &[k, v] : members) o->set(k, v);
    return o;
}

std::string describe_pages(std::size_t n) { return std::to_string(n) + (n == 1 ? " page" : " pages"); }

// Sleeps `delay`, or less when the call is cancelled (then throws).
void pause(const Call &call, milliseconds delay) {
    const auto until = steady_clock::now() + delay;
    while (steady_clock::now() < until) {
        if (call.cancelled()) throw transient("the read was cancelled while waiting for Mindee");
        std::this_thread::sleep_for(std::min<steady_clock::duration>(milliseconds(50), until - steady_clock::now()));
    }
}

}  // namespace

Receipts::Receipts(Settings settings, std::shared_ptr<MindeeApi> api, std::shared_ptr<support::StateStore> state,
                   std::shared_ptr<Flights> flights, Host host)
    : settings_(std::move(settings)), api_(std::move(api)), state_(std::move(state)), flights_(std::move(flights)),
      host_(host) {}

// ---- Step 1: the file, checked here ------------------------------------------------------

ReceiptRequest Receipts::parse(const Json &input, bool as_job) const {
    ReceiptRequest r;
    const auto sync = settings_.sync_limits(), job = settings_.job_limits();
    support::FileInputOptions options;
    options.directory = settings_.file_directory;
    options.max_bytes = static_cast<std::size_t>(std::max(sync.max_bytes, job.max_bytes));
    r.file = support::read_file_input(input, options);
    const auto &field = r.file.field;
    r.document = support::inspect_document(r.file.bytes);
    const auto kind = r.document.media_type.kind;
    if (!readable_kind(kind))
        throw invalid_input(field + ": not a file Mindee reads (" +
                                (kind == support::MediaKind::unknown
                                     ? "its first bytes are " + support::leading_bytes_hex(r.file.bytes)
                                     : "a " + std::string(support::to_string(kind)) + " file") +
                                "); send a JPEG, PNG, PDF, WEBP, TIFF or HEIC",
                            reason_detail(field, "type"));
    if (!r.document.truncated.empty())
        throw invalid_input(field + ": the file is incomplete: " + r.document.truncated + "; send it again whole",
                            reason_detail(field, "truncated"));
    if (r.document.encrypted)
        throw invalid_input(field + ": the PDF is encrypted (a password or restricted permissions): Mindee cannot read it; "
                                    "send an unprotected copy",
                            reason_detail(field, "encrypted"));
    if (r.file.name.empty()) r.file.name = "receipt" + std::string(r.document.media_type.extension);

    const auto limits = as_job ? job : sync;
    const auto how = std::string(api_->version_name()) + (api_->version() == ApiVersion::v1 ? (as_job ? " as a job" : " synchronously") : "");
    const bool job_would_take = !as_job && api_->version() == ApiVersion::v1;
    const auto size = r.file.bytes.size();
    if (size > static_cast<std::size_t>(limits.max_bytes)) {
        auto message = field + ": the file is " + support::describe_size(size) + "; Mindee " + how + " reads at most " +
                       support::describe_size(static_cast<std::size_t>(limits.max_bytes));
        if (job_would_take && size <= static_cast<std::size_t>(job.max_bytes))
            message += ": send it as a job (POST /api/v1/jobs), which takes up to " +
                       support::describe_size(static_cast<std::size_t>(job.max_bytes));
        throw invalid_input(message, reason_detail(field, "too_large"));
    }
    const auto pages = r.document.pages;
    if (pages > static_cast<std::size_t>(limits.max_pages)) {
        auto message = field + ": the document has " + describe_pages(pages) + "; Mindee " + how + " reads at most " +
                       describe_pages(static_cast<std::size_t>(limits.max_pages));
        if (job_would_take && pages <= static_cast<std::size_t>(job.max_pages))
            message += ": send it as a job (POST /api/v1/jobs), which takes up to " +
                       describe_pages(static_cast<std::size_t>(job.max_pages));
        throw invalid_input(message, reason_detail(field, "too_many_pages"));
    }
    if (input->has("locale") && !input->isNull("locale")) {
        const auto v = input->get("locale");
        static const std::regex pattern("^[a-z]{2}([-_][A-Za-z]{2})?$");
        if (!v.isString() || !std::regex_match(v.extract<std::string>(), pattern))
            throw invalid_input("locale must be a language or a language and country, such as fr or fr-FR");
        r.locale = v.extract<std::string>();
    }
    r.force = flag(input, "force");
    r.include_raw = flag(input, "include_raw");
    return r;
}

// ---- Keys, the stored answers -------------------------------------------------------------

std::string Receipts::cache_key(const ReceiptRequest &r) const {
    const auto model = api_->version() == ApiVersion::v1 ? "v1/" + settings_.product : "v2/" + settings_.model_id;
    return "receipt/" + model + "/" + r.file.sha256;
}

std::string Receipts::pending_key(const ReceiptRequest &r) const { return "pending/" + cache_key(r).substr(8); }

Upload Receipts::upload(const ReceiptRequest &r) const {
    return {r.file.bytes, r.file.name, std::string(r.document.media_type.mime)};
}

std::optional<Json> Receipts::cached(const ReceiptRequest &r) const {
    if (settings_.dedupe_ttl_hours == 0) return std::nullopt;
    const auto stored = state_->get(cache_key(r));
    if (!stored) return std::nullopt;
    try {
        const auto entry = parse_object(*stored, RELAIS_INTERNAL, "a stored reading");
        const auto raw = object_at(entry, "raw");
        if (!raw) throw internal("no raw answer");
        host_.metric_add("dedupe_hits");
        return result(raw, r, true, static_cast<int64_t>(number_at(entry, "read_at").value_or(0)));
    } catch (const Error &e) {
        host_.warn("the stored reading of " + r.file.sha256 + " is unreadable (" + e.what() + "): reading the file again");
        state_->erase(cache_key(r));
        return std::nullopt;
    }
}

void Receipts::remember(const ReceiptRequest &r, const Json &body) const {
    if (settings_.dedupe_ttl_hours == 0) return;
    Json entry = new Poco::JSON::Object;
    entry->set("read_at", now_ms());
    entry->set("raw", body);
    auto text = to_string(entry);
    if (text.size() > kMaxStoredBytes) {
        // Page-level predictions (v1) and the raw text (v2) are what grows with the pages, and
        // what the expense does not use.
        if (auto document = object_at(body, "document"))
            if (auto inference = object_at(document, "inference")) inference->remove("pages");
        if (auto inference = object_at(body, "inference"))
            if (auto result = object_at(inference, "result")) result->remove("raw_text");
        text = to_string(entry);
    }
    if (text.size() > kMaxStoredBytes) {
        host_.warn("the reading of " + r.file.name + " is " + support::describe_size(text.size()) +
                   ", too large to keep: the same file read again will be read by Mindee again");
        return;
    }
    state_->write(cache_key(r), text, support::StateStore::kAnyVersion, hours(settings_.dedupe_ttl_hours));
}

Json Receipts::result(const Json &body, const ReceiptRequest &r, bool from_cache, int64_t read_at_ms) const {
    auto reading = api_->reading_of(body);
    if (reading.pages == 0) reading.pages = r.document.pages;
    // The caller's locale stands in for what Mindee did not read.
    if (r.locale) {
        if (!reading.language.value) reading.language.value = r.locale->substr(0, 2);
        if (!reading.country.value && r.locale->size() == 5) reading.country.value = Poco::toUpper(r.locale->substr(3));
    }
    ExpenseContext context;
    context.api_version = api_->version_name();
    context.recorded_by = settings_.recorded_by;
    context.review_below = settings_.review_below;
    context.today = tomorrow();
    auto out = expense_json(reading, context);
    out->set("file", object({{"name", r.file.name},
                             {"sha256", r.file.sha256},
                             {"media_type", std::string(r.document.media_type.mime)},
                             {"bytes", static_cast<uint64_t>(r.file.bytes.size())}}));
    out->set("from_cache", from_cache);
    out->set("read_at", read_at_ms > 0 ? Poco::Dynamic::Var(iso_time(read_at_ms)) : Poco::Dynamic::Var());
    if (r.include_raw) out->set("raw", body);
    return out;
}

milliseconds Receipts::next_delay(int64_t polls) const {
    const double d = static_cast<double>(settings_.poll_initial_delay.count()) * std::pow(1.5, static_cast<double>(polls));
    return std::min(settings_.poll_max_delay, milliseconds(static_cast<int64_t>(std::min(d, 1e12))));
}

Json Receipts::later(Call &call, milliseconds delay, Json checkpoint) const { return call.continue_later(delay, checkpoint); }

// ---- The action ------------------------------------------------------------------------------

Json Receipts::read(const Json &input, Call &call) {
    const bool as_job = call.is_job();
    const auto request = parse(input, as_job);
    return as_job ? job_step(request, call) : read_now(request, call);
}

Json Receipts::read_now(const ReceiptRequest &request, Call &call) {
    if (!request.force)
        if (auto hit = cached(request)) return *hit;
    const auto remaining = call.remaining();
    const Gate gate{&call, std::min<milliseconds>(duration_cast<milliseconds>(settings_.rate_limit_wait), remaining)};
    const auto key = cache_key(request) + (request.force ? "#force" : "");
    const auto body = flights_->run(key, std::min<milliseconds>(remaining, minutes(15)), [&] {
        Json b = api_->version() == ApiVersion::v1 ? api_->predict(upload(request), gate) : read_inline_v2(request, call);
        remember(request, b);
        host_.metric_add("pages_read", static_cast<double>(std::max<std::size_t>(request.document.pages, 1)));
        return b;
    });
    return result(body, request, false, now_ms());
}

Json Receipts::read_inline_v2(const ReceiptRequest &request, Call &call) {
    const Gate gate{&call, std::min<milliseconds>(duration_cast<milliseconds>(settings_.rate_limit_wait), call.remaining())};
    Pending pending;
    // A job already reading this file (one that ran out of time, or a job) is followed.
    if (!request.force)
        if (const auto record = state_->get(pending_key(request))) {
            const auto p = parse_object(*record, RELAIS_INTERNAL, "a pending read");
            pending.job_id = text_at(p, "mindee_job").value_or("");
            pending.poll_url = text_at(p, "poll_url").value_or("");
        }
    if (pending.job_id.empty()) {
        pending = api_->enqueue(upload(request), gate);
        if (!request.force)
            state_->write(pending_key(request),
                          to_string(object({{"owner", call.id()}, {"mindee_job", pending.job_id}, {"poll_url", pending.poll_url}})),
                          support::StateStore::kAnyVersion, settings_.poll_timeout + minutes(1));
    }
    const auto started = steady_clock::now();
    for (int64_t polls = 0;; ++polls) {
        const auto delay = next_delay(polls);
        if (call.remaining() < delay + seconds(1))
            throw transient("Mindee's job " + pending.job_id + " for " + request.file.name +
                            " is not done within this call's time; read the same file again, or as a job, to get its "
                            "result without paying again");
        pause(call, delay);
        const auto r = api_->poll(pending, gate);
        if (r.state == PollResult::State::done) {
            state_->erase(pending_key(request));
            return r.body;
        }
        if (r.state == PollResult::State::failed) {
            state_->erase(pending_key(request));
            throw permanent("Mindee could not read " + request.file.name + ": " + r.reason,
                            object({{"mindee_job", pending.job_id}}));
        }
        if (steady_clock::now() - started > settings_.poll_timeout)
            throw permanent("Mindee's job " + pending.job_id + " for " + request.file.name + " was not done after " +
                            std::to_string(settings_.poll_timeout.count()) + " s (poll_timeout_seconds)");
    }
}

// ---- As a job: enqueue, then continue later between looks -----------------------------------

Json Receipts::job_step(const ReceiptRequest &request, Call &call) {
    const auto checkpoint = call.checkpoint();
    if (!checkpoint) return start_job(request, call);
    const auto stage = text_at(checkpoint, "stage").value_or("");
    if (stage == "enqueue") return start_job(request, call);
    if (stage == "processing") return poll_job(request, call, checkpoint, checkpoint->optValue<bool>("owner", true));
    if (stage == "following") return follow(request, call, checkpoint);
    throw internal("the job's checkpoint has an unknown stage '" + stage + "'");
}

Json Receipts::start_job(const ReceiptRequest &request, Call &call) {
    const auto pk = pending_key(request);
    if (!request.force) {
        if (auto hit = cached(request)) return *hit;
        const auto claim = to_string(object({{"owner", call.id()}, {"since", now_ms()}}));
        const auto ttl = duration_cast<milliseconds>(settings_.poll_timeout + minutes(1));
        const auto written = state_->write(pk, claim, 0, ttl);
        if (!written.written) {
            const auto record = state_->get(pk);
            const auto owner = record ? text_at(parse_object(*record, RELAIS_INTERNAL, "a pending read"), "owner") : std::nullopt;
            // Ours already (this step follows a quota wait): go on; another's: follow it.
            if (owner != call.id()) return follow(request, call, object({{"stage", "following"}, {"file", request.file.name}}));
        }
    }
    Pending pending;
    try {
        pending = api_->enqueue(upload(request), Gate{&call, kJobQuotaWait});
    } catch (const Error &e) {
        if (e.status() == RELAIS_RATE_LIMITED)
            return later(call, std::max(e.retry_after(), milliseconds(100)),
                         object({{"stage", "enqueue"}, {"file", request.file.name}, {"waiting_for", "quota"}}));
        if (!request.force) state_->erase(pk);
        throw;
    }
    host_.metric_add("pages_read", static_cast<double>(std::max<std::size_t>(request.document.pages, 1)));
    const auto enqueued = now_ms();
    const auto ttl = duration_cast<milliseconds>(settings_.poll_timeout + minutes(1));
    if (!request.force)
        state_->write(pk,
                      to_string(object({{"owner", call.id()}, {"mindee_job", pending.job_id}, {"poll_url", pending.poll_url}})),
                      support::StateStore::kAnyVersion, ttl);
    // What a webhook for this Mindee job wakes.
    state_->write("job/" + pending.job_id, call.id(), support::StateStore::kAnyVersion, ttl);
    host_.metric_add("jobs_enqueued");
    return later(call, next_delay(0),
                 object({{"stage", "processing"},
                         {"file", request.file.name},
                         {"mindee_job", pending.job_id},
                         {"poll_url", pending.poll_url},
                         {"polls", 0},
                         {"enqueued_at", enqueued},
                         {"owner", true}}));
}

Json Receipts::poll_job(const ReceiptRequest &request, Call &call, const Json &checkpoint, bool owner) {
    Pending pending;
    pending.job_id = text_at(checkpoint, "mindee_job").value_or("");
    pending.poll_url = text_at(checkpoint, "poll_url").value_or("");
    if (pending.job_id.empty() || pending.poll_url.empty()) throw internal("the job's checkpoint names no Mindee job");
    const auto polls = static_cast<int64_t>(number_at(checkpoint, "polls").value_or(0));
    const auto enqueued = static_cast<int64_t>(number_at(checkpoint, "enqueued_at").value_or(static_cast<double>(now_ms())));
    const auto forget = [&] {
        if (!owner) return;
        if (!request.force) state_->erase(pending_key(request));
        state_->erase("job/" + pending.job_id);
    };
    // Time spent waiting: the clock's, or the waits asked for, whichever is longer (a host
    // that was down meanwhile, or steps run faster than real time, must not stretch it).
    const auto waited = static_cast<int64_t>(number_at(checkpoint, "waited_ms").value_or(0));
    if (milliseconds(std::max(now_ms() - enqueued, waited)) > settings_.poll_timeout) {
        forget();
        throw permanent("Mindee's job " + pending.job_id + " for " + request.file.name + " was not done after " +
                            std::to_string(settings_.poll_timeout.count()) + " s (poll_timeout_seconds)",
                        object({{"mindee_job", pending.job_id}}));
    }
    PollResult r;
    try {
        r = api_->poll(pending, Gate{&call, kJobQuotaWait});
    } catch (const Error &e) {
        if (e.status() == RELAIS_RATE_LIMITED) return later(call, std::max(e.retry_after(), milliseconds(100)), checkpoint);
        throw;
    }
    if (r.state == PollResult::State::processing) {
        Json next = new Poco::JSON::Object(*checkpoint);
        const auto delay = next_delay(polls + 1);
        next->set("polls", polls + 1);
        next->set("waited_ms", waited + delay.count());
        return later(call, delay, next);
    }
    if (r.state == PollResult::State::failed) {
        forget();
        throw permanent("Mindee could not read " + request.file.name + ": " + r.reason, object({{"mindee_job", pending.job_id}}));
    }
    remember(request, r.body);
    forget();
    return result(r.body, request, false, now_ms());
}

Json Receipts::follow(const ReceiptRequest &request, Call &call, const Json &checkpoint) {
    if (auto hit = cached(request)) return *hit;
    const auto record = state_->get(pending_key(request));
    // The read it followed ended without a stored answer (it failed, or was cancelled): read
    // the file itself.
    if (!record) return start_job(request, call);
    const auto p = parse_object(*record, RELAIS_INTERNAL, "a pending read");
    const auto job = text_at(p, "mindee_job"), owner = text_at(p, "owner");
    if (owner == call.id() && !job) return start_job(request, call);
    if (!job) return later(call, next_delay(0), checkpoint);  // the other read is being sent
    // Follow the other read's Mindee job: polls spend no page.
    Json cp = object({{"stage", "processing"},
                      {"file", request.file.name},
                      {"mindee_job", *job},
                      {"poll_url", text_at(p, "poll_url").value_or("")},
                      {"polls", number_at(checkpoint, "polls").value_or(0)},
                      {"enqueued_at", number_at(checkpoint, "enqueued_at").value_or(static_cast<double>(now_ms()))},
                      {"owner", owner == call.id()}});
    return poll_job(request, call, cp, owner == call.id());
}

bool Receipts::wake_for_mindee_job(const std::string &mindee_job_id) {
    const auto call_id = state_->get("job/" + mindee_job_id);
    if (!call_id) return false;
    return host_.wake_call(*call_id);
}

}  // namespace relais::mindee
