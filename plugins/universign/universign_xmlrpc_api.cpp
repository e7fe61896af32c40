// Universign's XML-RPC signature service (reference A.1 to A.6): requester.* methods POSTed
// as <methodCall> with HTTP Basic, faults in HTTP 200, keys spelled exactly as the guide does
// (lower-case firstname/lastname in requests, camel-case firstName/lastName in answers).
#include "universign_api.hpp"
#include "universign_errors.hpp"

#include <relais/support/bytes.hpp>
#include <relais/support/classify.hpp>
#include <relais/support/xmlrpc.hpp>

#include <atomic>
#include <regex>

namespace relais::universign {

namespace {

namespace xr = support::xmlrpc;
using support::HttpRequest;
using support::HttpResponse;

std::string text_of(const xr::Value *v) {
    if (!v) return {};
    if (const auto *s = v->as_string()) return *s;
    if (const auto i = v->as_int()) return std::to_string(*i);
    return {};
}

std::string iso_of(const xr::Value *v) {
    if (!v) return {};
    const auto *d = v->as_datetime();
    if (!d) return text_of(v);
    const auto t = d->to_time_point();
    return t ? iso8601(*t) : d->text();
}

// Transaction status strings (A.4), and a refusal told from a requester's cancel by the
// signer that was canceled.
State state_of(const std::string &status, const std::vector<SignerView> &signers) {
    if (status == "completed") return State::completed;
    if (status == "expired") return State::expired;
    if (status == "failed") return State::failed;
    if (status == "canceled" || status == "cancelled") {
        for (const auto &s : signers)
            if (s.state == "canceled") return State::refused;
        return State::canceled;
    }
    return State::waiting_signers;  // ready, and the RA validation that has no string
}

TransactionView view_of(const xr::Value &value, const std::string &what) {
    const auto *info = value.as_struct();
    if (!info) throw Error(RELAIS_TRANSIENT, what + ": Universign's TransactionInfo is not a struct");
    TransactionView view;
    view.id = text_of(info->find("transactionId"));
    view.raw_state = text_of(info->find("status"));
    if (view.raw_state.empty()) throw Error(RELAIS_TRANSIENT, what + ": Universign's TransactionInfo has no status");
    // The guide says customerId, never recorded; customId is the request's spelling.
    view.custom_id = text_of(info->find("customerId"));
    if (view.custom_id.empty()) view.custom_id = text_of(info->find("customId"));
    view.created_at = iso_of(info->find("creationDate"));
    if (const auto *current = info->find("currentSigner"); current && current->as_int()) view.current_signer = *current->as_int();
    if (const auto *list = info->find("signerInfos"); list && list->as_array()) {
        int index = 0;
        for (const auto &item : *list->as_array()) {
            SignerView s;
            s.index = index++;
            s.email = text_of(item.member("email"));
            s.first_name = text_of(item.member("firstName"));
            s.last_name = text_of(item.member("lastName"));
            s.state = text_of(item.member("status"));
            s.url = text_of(item.member("url"));
            s.action_date = iso_of(item.member("actionDate"));
            s.error = text_of(item.member("error"));
            view.signers.push_back(std::move(s));
        }
    }
    view.state = state_of(view.raw_state, view.signers);
    return view;
}

xr::Value signer_value(const SignerIn &s) {
    xr::Struct out;
    out.add("firstname", s.first_name);
    out.add("lastname", s.last_name);
    out.add("emailAddress", s.email);
    if (!s.phone.empty()) out.add("phoneNum", s.phone);
    out.add("role", s.role);
    return out;
}

xr::Value document_value(const DocumentIn &d) {
    xr::Struct out;
    out.add("documentType", "pdf");
    out.add("content", xr::Base64{d.bytes});
    out.add("name", d.name);
    out.add("fileName", d.name);
    if (!d.fields.empty()) {
        xr::Array fields;
        for (const auto &f : d.fields)
            fields.emplace_back(xr::Struct{{"page", static_cast<std::int32_t>(f.page)},
                                           {"x", static_cast<std::int32_t>(f.x)},
                                           {"y", static_cast<std::int32_t>(f.y)},
                                           {"signerIndex", static_cast<std::int32_t>(f.signer)}});
        out.add("signatureFields", std::move(fields));
    }
    return out;
}

xr::Value request_value(const SignatureRequest &r) {
    xr::Struct out;
    out.add("profile", r.profile);
    out.add("customId", r.custom_id);
    xr::Array signers, documents;
    for (const auto &s : r.signers) signers.push_back(signer_value(s));
    for (const auto &d : r.documents) documents.push_back(document_value(d));
    out.add("signers", std::move(signers));
    out.add("documents", std::move(documents));
    if (!r.description.empty()) out.add("description", r.description);
    out.add("certificateType", r.certificate_type);
    out.add("language", r.language);
    out.add("chainingMode", r.chaining_mode);
    if (!r.success_url.empty()) out.add("successURL", r.success_url);
    if (!r.cancel_url.empty()) out.add("cancelURL", r.cancel_url);
    if (!r.fail_url.empty()) out.add("failURL", r.fail_url);
    return out;
}

// A fault whose struct is not the standard one (a string code, extra nesting): its code and
// words read from the text, so that it still maps to its class. nullopt when there is none.
std::optional<xr::Fault> loose_fault(const std::string &body) {
    if (body.find("<fault>") == std::string::npos) return std::nullopt;
    static const std::regex code(R"(faultCode</name>\s*<value>\s*(?:<(?:i4|int|string)>)?\s*(-?\d+))");
    static const std::regex words(R"(faultString</name>\s*<value>\s*(?:<string>)?([^<]*))");
    std::smatch m;
    xr::Fault fault;
    if (!std::regex_search(body, m, code)) return std::nullopt;
    try {
        fault.code = std::stoi(m[1].str());
    } catch (const std::exception &) {
        return std::nullopt;
    }
    if (std::regex_search(body, m, words)) fault.string = m[1].str();
    return fault;
}

class XmlRpcApi final : public UniversignApi {
public:
    XmlRpcApi(const Settings &s, std::shared_ptr<support::HttpClient> http, Host host)
        : url_(s.url), authorization_("Basic " + support::base64_encode(s.username + ":" + s.password)),
          restore_retry_(s.restore_retry), http_(std::move(http)), host_(host) {}

    Api api() const override { return Api::xmlrpc; }

    Created create(const SignatureRequest &request, const Gate &gate, const DraftProgress &) override {
        const auto what = "requester.requestTransaction for custom_id " + request.custom_id;
        const auto value = call({"requester.requestTransaction", {request_value(request)}}, gate, what, true);
        Created created;
        created.transaction_id = text_of(value.member("id"));
        created.url = text_of(value.member("url"));
        if (created.transaction_id.empty())
            throw Uncertain(what + ": Universign's answer names no transaction id");
        return created;
    }

    std::optional<TransactionView> find_created(const std::string &custom_id, const std::string &,
                                                const Gate &gate) override {
        return info_by_custom_id(custom_id, gate);
    }

    TransactionView info(const std::string &id, const Gate &gate) override {
        const auto what = "requester.getTransactionInfo of " + id;
        auto view = view_of(call({"requester.getTransactionInfo", {id}}, gate, what), what);
        if (view.id.empty()) view.id = id;
        return view;
    }

    std::optional<TransactionView> info_by_custom_id(const std::string &custom_id, const Gate &gate) override {
        const auto what = "requester.getTransactionInfoByCustomId of " + custom_id;
        try {
            auto view = view_of(call({"requester.getTransactionInfoByCustomId", {custom_id}}, gate, what), what);
            if (view.custom_id.empty()) view.custom_id = custom_id;
            if (view.id.empty()) throw Error(RELAIS_TRANSIENT, what + ": Universign's answer names no transactionId");
            return view;
        } catch (const Error &e) {
            if (e.status() == RELAIS_NOT_FOUND) return std::nullopt;
            throw;
        }
    }

    void documents(const TransactionView &tx, const std::vector<bool> &, const DocumentSink &got,
                   const Gate &gate) override {
        const auto what = "requester.getDocuments of " + tx.id;
        const auto value = call({"requester.getDocuments", {tx.id}}, gate, what);
        const auto *list = value.as_array();
        if (!list) throw Error(RELAIS_TRANSIENT, what + ": Universign's answer is not an array of documents");
        std::vector<SignedDocument> out;
        for (const auto &item : *list) {
            SignedDocument d;
            const auto *content = item.member("content");
            if (!content || !content->as_bytes())
                throw Error(RELAIS_TRANSIENT, what + ": document " + std::to_string(out.size()) + " has no base64 content");
            d.bytes = *content->as_bytes();
            d.name = text_of(item.member("fileName"));
            if (d.name.empty()) d.name = text_of(item.member("name"));
            out.push_back(std::move(d));
        }
        if (out.empty()) throw Error(RELAIS_TRANSIENT, what + ": Universign returned no document");
        for (std::size_t i = 0; i < out.size(); ++i) got(i, std::move(out[i]));
    }

    void cancel(const std::string &id, const Gate &gate) override {
        call({"requester.cancelTransaction", {id}}, gate, "requester.cancelTransaction of " + id);
    }

    void remind(const std::string &id, const Gate &gate) override {
        call({"requester.relaunchTransaction", {id}}, gate, "requester.relaunchTransaction of " + id);
    }

    std::optional<Listed> list_waiting(int64_t start, std::optional<std::chrono::system_clock::time_point> not_before,
                                       const Gate &gate) override {
        xr::Struct filter;
        filter.add("status", std::int32_t{0});  // ready: waiting for its signers (A.4)
        filter.add("startRange", static_cast<std::int32_t>(start));
        filter.add("stopRange", static_cast<std::int32_t>(start + kListPage));
        if (not_before) filter.add("notBefore", xr::DateTime::from(*not_before));
        const auto what = "requester.listTransactions from " + std::to_string(start);
        const auto value = call({"requester.listTransactions", {std::move(filter)}}, gate, what);
        const auto *ids = value.as_array();
        if (!ids) throw Error(RELAIS_TRANSIENT, what + ": Universign's answer is not an array of ids");
        Listed listed;
        for (const auto &id : *ids)
            if (const auto *s = id.as_string()) listed.ids.push_back(*s);
        listed.more = static_cast<int64_t>(ids->size()) >= kListPage;
        return listed;
    }

    std::string check_credentials(const Gate &gate) override {
        // Unknown (73025) is the expected answer: the login was accepted and nothing changed.
        info_by_custom_id("relais-connection-test", gate);
        return "Universign's XML-RPC service at " + url_ + " accepted the login (requester.getTransactionInfoByCustomId)";
    }

    uint64_t requests_sent() const override { return sent_.load(); }

private:
    static constexpr int64_t kListPage = 1000;

    // One method call. `creating`: a lost answer leaves the outcome unknown (Uncertain).
    xr::Value call(const xr::Call &method, const Gate &gate, const std::string &what, bool creating = false) {
        take_request_quota(gate);
        auto request = HttpRequest::post(url_);
        request.header("Authorization", authorization_);
        request.body = xr::encode_call(method);
        request.content_type = "text/xml; charset=utf-8";
        request.mark_idempotent(!creating);
        HttpResponse r;
        ++sent_;
        try {
            r = http_->send(request);
        } catch (const support::TransportError &e) {
            auto error = transport_error(e, what);
            if (creating && support::applied_for(e) != support::Classification::Applied::no)
                throw Uncertain(std::string(error.what()) + " (whether Universign created it is checked before sending "
                                                            "it again)");
            throw error;
        }
        if (r.status != 200) {
            // Some front ends send the fault with an HTTP error status: the fault says more.
            if (r.status >= 400 && r.body.find("<fault>") != std::string::npos) {
                std::optional<xr::Fault> fault;
                try {
                    const auto response = xr::decode_response(r.body, RELAIS_TRANSIENT, "Universign's answer");
                    if (response.is_fault()) fault = response.fault();
                } catch (const Error &) {
                    fault = loose_fault(r.body);
                }
                if (fault && fault->code != kFaultInternal) throw_fault(*fault, what);
            }
            auto error = http_error(r, Api::xmlrpc, what);
            if (r.status == 429) host_.quota_report("requests", "", error.retry_after());
            if (creating && support::applied_for_status(r.status) == support::Classification::Applied::unknown)
                throw Uncertain(std::string(error.what()) + " (whether Universign created it is checked before "
                                                            "sending it again)");
            throw error;
        }
        try {
            const auto response = xr::decode_response(r.body, RELAIS_TRANSIENT, "Universign's answer to " + method.method);
            if (response.is_fault()) throw_fault(response.fault(), what);
            return response.value();
        } catch (const Error &e) {
            if (e.detail() && e.detail()->has("fault_code")) throw;
            if (const auto fault = loose_fault(r.body)) throw_fault(*fault, what);
            if (creating)
                throw Uncertain(std::string(e.what()) + " (whether Universign created it is checked before sending "
                                                        "it again)");
            throw Error(RELAIS_TRANSIENT, what + ": Universign's answer is not XML-RPC (" + e.what() + "; body \"" +
                                              body_excerpt(r.body) + "\")");
        }
    }

    [[noreturn]] void throw_fault(const xr::Fault &fault, const std::string &what) {
        auto error = fault_error(fault, what, restore_retry_);
        if (fault.code == kFaultInternal) host_.metric_add("universign_faults", 1);
        throw error;
    }

    std::string url_, authorization_;
    std::chrono::seconds restore_retry_;
    std::shared_ptr<support::HttpClient> http_;
    Host host_;
    std::atomic<uint64_t> sent_{0};
};

}  // namespace

std::shared_ptr<UniversignApi> make_xmlrpc_api(const Settings &settings, std::shared_ptr<support::HttpClient> http,
                                               Host host) {
    return std::make_shared<XmlRpcApi>(settings, std::move(http), host);
}

}  // namespace relais::universign
