// Universign's REST API v1 (reference A.7): the API key as a Bearer token, form bodies, JSON
// answers. A transaction is built as a draft (participants, files uploaded first, documents,
// fields, signatures) and then started; only the start reaches the signers.
#include "universign_api.hpp"
#include "universign_errors.hpp"

#include <relais/support/classify.hpp>
#include <relais/support/json.hpp>
#include <relais/support/multipart.hpp>
#include <relais/support/url.hpp>

#include <atomic>

namespace relais::universign {

namespace {

using support::array_at;
using support::HttpRequest;
using support::HttpResponse;
using support::object_at;
using support::string_at;

// Draft, started and paused wait for signers; a started transaction a participant stalled
// (a refusal: the API tells no refusal from a failure) will not complete.
State state_of(const std::string &state, bool stalled) {
    if (state == "completed" || state == "archived") return State::completed;
    if (state == "cancelled" || state == "canceled") return State::canceled;
    if (state == "expired") return State::expired;
    if (stalled) return State::refused;
    return State::waiting_signers;
}

TransactionView view_of(const Json &tx, const std::string &what) {
    TransactionView view;
    view.id = string_at(tx, "id").value_or("");
    view.raw_state = string_at(tx, "state").value_or("");
    if (view.id.empty() || view.raw_state.empty())
        throw Error(RELAIS_TRANSIENT, what + ": Universign's answer is not a transaction (no id or state)");
    const bool stalled = support::bool_at(tx, "stalled").value_or(false);
    view.state = state_of(view.raw_state, stalled);
    view.created_at = string_at(tx, "created_at").value_or("");
    view.custom_id = string_at(object_at(tx, "metadata"), "custom_id").value_or("");
    if (const auto participants = array_at(tx, "participants")) {
        for (std::size_t i = 0; i < participants->size(); ++i) {
            const auto p = support::object_in(participants, i);
            if (!p) continue;
            SignerView s;
            s.index = static_cast<int>(view.signers.size());
            s.email = string_at(p, "email").value_or("");
            s.state = string_at(p, "state").value_or("");
            if (s.state == "open" && view.current_signer < 0 && view.state == State::waiting_signers)
                view.current_signer = s.index;
            view.signers.push_back(std::move(s));
        }
    }
    if (const auto documents = array_at(tx, "documents")) {
        for (std::size_t i = 0; i < documents->size(); ++i) {
            const auto d = support::object_in(documents, i);
            const auto id = string_at(d, "id");
            if (!id) continue;
            view.document_ids.push_back(*id);
            view.document_names.push_back(string_at(d, "name").value_or(*id));
        }
    }
    return view;
}

class RestApi final : public UniversignApi {
public:
    RestApi(const Settings &s, std::shared_ptr<support::HttpClient> http, Host host)
        : base_(s.url + "/v1"), key_(s.api_key), http_(std::move(http)), host_(host) {}

    Api api() const override { return Api::rest; }

    Created create(const SignatureRequest &request, const Gate &gate, const DraftProgress &progress) override {
        const auto what = "creating the transaction of custom_id " + request.custom_id;
        support::Fields draft{{"name", request.description.empty() ? request.custom_id : request.description},
                              {"language", request.language},
                              {"metadata[custom_id]", request.custom_id}};
        const auto tx = json(send(HttpRequest::post(base_ + "/transactions").form(draft), gate, what), what);
        const auto id = string_at(tx, "id").value_or("");
        if (id.empty()) throw Error(RELAIS_TRANSIENT, what + ": Universign's answer names no transaction id");
        if (progress) progress(id, false);
        const auto in = base_ + "/transactions/" + id;

        // Participants first, in the request's order, which is the signing order.
        for (const auto &s : request.signers) {
            support::Fields p{{"email", s.email}, {"language", request.language}};
            if (!s.first_name.empty()) p.emplace_back("first_name", s.first_name);
            if (!s.last_name.empty()) p.emplace_back("last_name", s.last_name);
            if (!s.phone.empty()) p.emplace_back("phone_number", s.phone);
            send(HttpRequest::post(in + "/participants").form(p), gate, what + ": participant " + s.email);
        }
        std::vector<bool> has_field(request.signers.size(), false);
        std::vector<std::string> document_ids;
        for (const auto &d : request.documents) {
            support::Multipart file;
            file.file("file", d.name, "application/pdf", d.bytes);
            const auto uploaded = json(send(HttpRequest::post(base_ + "/files").multipart(file), gate,
                                            what + ": uploading " + d.name),
                                       what);
            const auto file_id = string_at(uploaded, "id").value_or("");
            if (file_id.empty()) throw Error(RELAIS_TRANSIENT, what + ": the upload of " + d.name + " gave no file id");
            const auto doc = json(send(HttpRequest::post(in + "/documents").form({{"document", file_id}, {"name", d.name}}),
                                       gate, what + ": attaching " + d.name),
                                  what);
            const auto doc_id = string_at(doc, "id").value_or("");
            if (doc_id.empty()) throw Error(RELAIS_TRANSIENT, what + ": attaching " + d.name + " gave no document id");
            document_ids.push_back(doc_id);
            for (const auto &f : d.fields) {
                support::Fields place{{"type", "signature"}, {"page", std::to_string(f.page)},
                                      {"x", std::to_string(f.x)}, {"y", std::to_string(f.y)}};
                assign(in, doc_id, place, request.signers[static_cast<std::size_t>(f.signer)].email, gate, what);
                has_field[static_cast<std::size_t>(f.signer)] = true;
            }
        }
        // A signer given no field signs an invisible one on the first document; an observer
        // is a participant without a signature.
        for (std::size_t i = 0; i < request.signers.size(); ++i)
            if (request.signers[i].role == "signer" && !has_field[i])
                assign(in, document_ids.front(), {{"type", "signature"}}, request.signers[i].email, gate, what);

        if (progress) progress(id, true);
        start(id, gate, what);
        Created created;
        created.transaction_id = id;
        return created;
    }

    std::optional<TransactionView> find_created(const std::string &, const std::string &known_id,
                                                const Gate &gate) override {
        if (known_id.empty()) return std::nullopt;
        std::optional<TransactionView> view;
        try {
            view = info(known_id, gate);
        } catch (const Error &e) {
            if (e.status() == RELAIS_NOT_FOUND) return std::nullopt;
            throw;
        }
        // A complete draft whose start was lost or never sent: start it now.
        if (view->raw_state == "draft") {
            const auto what = "starting the transaction " + known_id;
            return view_of(json(start(known_id, gate, what), what), what);
        }
        return view;
    }

    TransactionView info(const std::string &id, const Gate &gate) override {
        const auto what = "reading the transaction " + id;
        return view_of(json(send(HttpRequest::get(base_ + "/transactions/" + support::url_encode(id)), gate, what), what),
                       what);
    }

    std::optional<TransactionView> info_by_custom_id(const std::string &, const Gate &) override { return std::nullopt; }

    void documents(const TransactionView &tx, const std::vector<bool> &have, const DocumentSink &got,
                   const Gate &gate) override {
        if (tx.document_ids.empty())
            throw Error(RELAIS_TRANSIENT, "the transaction " + tx.id + " lists no document to download");
        for (std::size_t i = 0; i < tx.document_ids.size(); ++i) {
            if (i < have.size() && have[i]) continue;
            const auto &doc = tx.document_ids[i];
            const auto what = "downloading the signed document " + doc + " of " + tx.id;
            auto r = send_raw(HttpRequest::get(base_ + "/transactions/" + tx.id + "/archive/documents/" + doc + "/download"),
                              gate, what);
            // Past its 60 days under the transaction, a document is served by the archive.
            if (r.status == 404)
                r = send_raw(HttpRequest::get(base_ + "/archives/" + tx.id + "/documents/" + doc + "/download"), gate, what);
            if (!r.ok()) throw http_error(r, Api::rest, what);
            if (r.body.empty()) throw Error(RELAIS_TRANSIENT, what + ": Universign sent an empty document");
            got(i, SignedDocument{i < tx.document_names.size() ? tx.document_names[i] : doc, std::move(r.body)});
        }
    }

    void cancel(const std::string &id, const Gate &gate) override {
        send(HttpRequest::post(base_ + "/transactions/" + id + "/cancel").form({}), gate, "cancelling the transaction " + id);
    }

    void remind(const std::string &id, const Gate &) override {
        throw Error(RELAIS_UNSUPPORTED, "reminding the signers of " + id +
                                            ": Universign's REST API v1 has no reminder request; its workspace sends "
                                            "reminders on the schedule set in its web application");
    }

    std::optional<Listed> list_waiting(int64_t, std::optional<std::chrono::system_clock::time_point>,
                                       const Gate &) override {
        return std::nullopt;
    }

    std::string check_credentials(const Gate &gate) override {
        const auto what = "reading a transaction that does not exist, as a test of the API key";
        const auto r = send_raw(HttpRequest::get(base_ + "/transactions/tx_relaisConnectionTest"), gate, what);
        if (r.status != 404 && !r.ok()) throw http_error(r, Api::rest, what);
        return "Universign's REST API at " + base_ + " accepted the API key";
    }

    uint64_t requests_sent() const override { return sent_.load(); }

private:
    void assign(const std::string &in, const std::string &doc_id, const support::Fields &place, const std::string &email,
                const Gate &gate, const std::string &what) {
        const auto field = json(send(HttpRequest::post(in + "/documents/" + doc_id + "/fields").form(place), gate,
                                     what + ": a signature field for " + email),
                                what);
        const auto field_id = string_at(field, "id").value_or("");
        if (field_id.empty()) throw Error(RELAIS_TRANSIENT, what + ": the signature field gave no id");
        send(HttpRequest::post(in + "/signatures").form({{"signer", email}, {"field", field_id}}), gate,
             what + ": assigning the field to " + email);
    }

    // The start reaches the signers: a lost answer leaves it unknown.
    HttpResponse start(const std::string &id, const Gate &gate, const std::string &what) {
        auto request = HttpRequest::post(base_ + "/transactions/" + id + "/start").form({});
        HttpResponse r;
        try {
            r = send_raw(request, gate, what);
        } catch (const Error &e) {
            if (e.status() == RELAIS_TRANSIENT)
                throw Uncertain(std::string(e.what()) + " (whether Universign started it is checked before starting "
                                                        "it again)");
            throw;
        }
        if (!r.ok()) {
            auto error = http_error(r, Api::rest, what);
            if (support::applied_for_status(r.status) == support::Classification::Applied::unknown)
                throw Uncertain(std::string(error.what()) + " (whether Universign started it is checked first)");
            throw error;
        }
        return r;
    }

    HttpResponse send(HttpRequest request, const Gate &gate, const std::string &what) {
        auto r = send_raw(std::move(request), gate, what);
        if (!r.ok()) throw http_error(r, Api::rest, what);
        return r;
    }

    // Any HTTP answer; a transport failure or a 429 throws.
    HttpResponse send_raw(HttpRequest request, const Gate &gate, const std::string &what) {
        take_request_quota(gate);
        request.header("Authorization", "Bearer " + key_);
        request.header("Accept", "application/json");
        ++sent_;
        HttpResponse r;
        try {
            r = http_->send(request);
        } catch (const support::TransportError &e) {
            throw transport_error(e, what);
        }
        if (r.status == 429) {
            auto error = http_error(r, Api::rest, what);
            host_.quota_report("requests", "", error.retry_after());
            throw error;
        }
        return r;
    }

    static Json json(const HttpResponse &r, const std::string &what) { return r.json(what + ": Universign's answer"); }

    std::string base_, key_;
    std::shared_ptr<support::HttpClient> http_;
    Host host_;
    std::atomic<uint64_t> sent_{0};
};

}  // namespace

std::shared_ptr<UniversignApi> make_rest_api(const Settings &settings, std::shared_ptr<support::HttpClient> http,
                                             Host host) {
    return std::make_shared<RestApi>(settings, std::move(http), host);
}

}  // namespace relais::universign
