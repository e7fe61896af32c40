#include "sirene_api.hpp"

#include "sirene_records.hpp"

#include <relais/support/classify.hpp>

#include <Poco/String.h>

#include <algorithm>
#include <thread>

namespace relais::sirene {

using namespace std::chrono;
using support::HttpRequest;
using support::HttpResponse;

namespace {

const support::ResetHeader kReset{"X-Rate-Limit-Reset", support::ResetHeader::Unit::epoch_milliseconds};
constexpr milliseconds kResetMargin{100};

std::optional<int64_t> header_number(const HttpResponse &r, const char *name) {
    const auto v = r.header(name);
    if (!v) return std::nullopt;
    try {
        std::size_t used = 0;
        const auto trimmed = Poco::trim(*v);
        const auto n = std::stoll(trimmed, &used);
        if (used == trimmed.size()) return n;
    } catch (const std::exception &) {
    }
    return std::nullopt;
}

std::string seconds_text(milliseconds ms) { return std::to_string((ms.count() + 999) / 1000) + " s"; }

// INSEE's own words for an error, when the body has them.
std::string said(const HttpResponse &r) {
    const auto message = support::describe_error_body(r);
    return message.empty() ? std::string() : " (" + message + ")";
}

}  // namespace

SireneApi::SireneApi(std::string base_url, std::string api_key, std::shared_ptr<support::HttpClient> http,
                     std::string quota, Host host)
    : base_url_(std::move(base_url)), api_key_(std::move(api_key)), http_(std::move(http)), quota_(std::move(quota)),
      host_(host) {}

HttpResponse SireneApi::get(const std::string &path, const support::Fields &query, const std::string &what,
                            Budget &budget) {
    return send(HttpRequest::get(base_url_ + path).query(query), what, budget);
}

HttpResponse SireneApi::search(const std::string &collection, const support::Fields &params, const std::string &what,
                               Budget &budget) {
    const auto url = base_url_ + "/" + collection;
    if (support::form_encode(params).size() <= kMaxGetQuery) return send(HttpRequest::get(url).query(params), what, budget);
    return send(HttpRequest::post(url).form(params), what, budget);
}

void SireneApi::give_up_unless_within(const std::string &what, const Budget &budget, milliseconds wait,
                                      steady_clock::time_point deadline) {
    const auto now = steady_clock::now();
    if (now + wait <= deadline) return;
    const auto call_left = ceil<milliseconds>(std::max(budget.call_deadline - now, steady_clock::duration::zero()));
    const auto bound = call_left < budget.wait ? "the call has left (" + seconds_text(call_left) + ")"
                                               : "rate_limit_wait_seconds (" + seconds_text(budget.wait) + ")";
    host_.info(what + ": giving up: INSEE's quota frees in " + seconds_text(wait) + ", more than " + bound);
    throw rate_limited("INSEE's quota (" + quota_ + ") is used up: " + what + " can be sent in " + seconds_text(wait) +
                           ", more than " + bound,
                       wait);
}

void SireneApi::take_slot(const std::string &what, const Budget &budget, steady_clock::time_point deadline) {
    if (!budget.call) return;
    const auto left = ceil<milliseconds>(std::max(deadline - steady_clock::now(), steady_clock::duration::zero()));
    try {
        budget.call->take_quota("requests", "", 1, left);
    } catch (const Error &e) {
        if (e.status() != RELAIS_RATE_LIMITED) throw;
        // The host waited as long as allowed: say why the call stops, with the host's delay.
        give_up_unless_within(what, budget, std::max(e.retry_after(), milliseconds(1)), deadline);
        throw;
    }
}

void SireneApi::report_window(const HttpResponse &response, const std::string &what) {
    const auto remaining = header_number(response, "X-Rate-Limit-Remaining");
    const auto reset = header_number(response, "X-Rate-Limit-Reset");
    if (host_.log_enabled(RELAIS_LOG_DEBUG))
        host_.debug(what + " -> " + std::to_string(response.status) +
                    (remaining ? " (quota left " + std::to_string(*remaining) + ")" : std::string()));
    if (!remaining || !reset || *remaining < 0) return;
    // The reset is on INSEE's clock (epoch ms): a margin for ours and the way there.
    const auto after = system_clock::time_point(milliseconds(*reset)) - system_clock::now();
    const auto reset_after = std::max(ceil<milliseconds>(after), milliseconds(0)) + kResetMargin;
    host_.quota_report("requests", "", milliseconds(0), *remaining, reset_after);
}

HttpResponse SireneApi::send(HttpRequest request, const std::string &what, Budget &budget) {
    request.header("X-INSEE-Api-Key-Integration", api_key_).header("Accept", "application/json");
    const auto deadline = budget.deadline();
    // Only a 429 sends a request again, once INSEE's window has room: that is the quota's
    // pacing. A failure (no answer, a 5xx) is not retried here: the call ends with a transient
    // error and its retry delay, and the host's retry policy, which knows about every other
    // call, decides when to try again.
    for (;;) {
        take_slot(what, budget, deadline);
        ++requests_;
        ++budget.requests;
        HttpResponse response;
        try {
            response = http_->send(request);
        } catch (const support::TransportError &e) {
            throw support::classify(e, what).to_error();
        }
        if (response.status != 429) {
            report_window(response, request.method + " " + support::without_query(request.url));
            return response;
        }

        // Nothing before the window INSEE announces (X-Rate-Limit-Reset, else Retry-After),
        // for every caller of the connector: the host's quota holds them all until then.
        const auto now = system_clock::now();
        auto delay = support::reset_delay(response, kReset, now);
        if (!delay) {
            if (const auto h = response.header("Retry-After")) delay = support::parse_retry_after(*h, now);
        }
        // A margin for the clocks (ours and the gateway's) and the way there; a reset that
        // looks already past means the clocks disagree: then a second, not a rush of 429s.
        const auto wait = delay && *delay >= kResetMargin ? *delay + kResetMargin : milliseconds(seconds(1));
        host_.quota_report("requests", "", wait);
        host_.debug(what + ": INSEE answered 429, its quota is used up");
        give_up_unless_within(what, budget, wait, deadline);
        host_.info(what + ": waiting " + seconds_text(wait) + " for INSEE's quota window");
        if (!budget.call) std::this_thread::sleep_for(wait);  // no host quota to hold this call
    }
}

void SireneApi::fail(const HttpResponse &response, const std::string &what, Blame malformed) const {
    Json detail = new Poco::JSON::Object;
    detail->set("http_status", response.status);
    switch (response.status) {
    case 401:
        throw unauthorized("INSEE refused the API key for " + what + ": HTTP 401" + said(response) +
                               "; check api_key (the key of an application subscribed to API Sirene on "
                               "portail-api.insee.fr, sent as X-INSEE-Api-Key-Integration)",
                           detail);
    case 403:
        throw forbidden("INSEE refused " + what + ": HTTP 403" + said(response) +
                            "; is the application subscribed to API Sirene on portail-api.insee.fr?",
                        detail);
    case 400:
        if (malformed == Blame::caller)
            throw invalid_input("INSEE refused " + what + " as malformed: HTTP 400" + said(response) +
                                    "; check the text and cursor given",
                                detail);
        throw internal("INSEE refused " + what + " as malformed: HTTP 400" + said(response) +
                           "; the connector built this request from checked values: a fault to report",
                       detail);
    case 406:
    case 414:
        // The Accept header and the choice of GET or POST are the connector's.
        throw internal("INSEE refused " + what + ": HTTP " + std::to_string(response.status) + said(response), detail);
    default:
        break;
    }
    support::ClassifyOptions options;
    options.what = what;
    options.reset_header = kReset;
    throw support::classify(response, options).to_error(detail);
}

}  // namespace relais::sirene
