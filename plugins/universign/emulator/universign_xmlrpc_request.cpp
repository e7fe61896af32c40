#include "universign_xmlrpc_request.hpp"

#include <initializer_list>
#include <map>
#include <set>
#include <utility>

namespace relais::universign_emulator {

namespace xr = support::xmlrpc;
using xr::Type;

namespace {

constexpr int kInvalid = 73020;
constexpr std::size_t kMaxDocumentBytes = 10u << 20;  // guide 4.2

[[noreturn]] void invalid(const std::string &message) { throw XmlRpcFault{kInvalid, message}; }

using Schema = std::map<std::string, Type>;

const char *name_of(Type type) {
    switch (type) {
    case Type::nil: return "nil";
    case Type::integer: return "int";
    case Type::boolean: return "boolean";
    case Type::string: return "string";
    case Type::real: return "double";
    case Type::datetime: return "dateTime.iso8601";
    case Type::base64: return "base64";
    case Type::array: return "array";
    case Type::structure: return "struct";
    }
    return "?";
}

// Every member known and of its type; `where` names the struct in messages.
void check(const xr::Struct &s, const Schema &schema, const std::string &where) {
    for (const auto &member : s.members()) {
        const auto it = schema.find(member.name);
        if (it == schema.end()) invalid(where + ": unknown member '" + member.name + "'");
        if (member.value.type() != it->second)
            invalid(where + "." + member.name + ": expected " + name_of(it->second) + ", got " +
                    member.value.type_name());
    }
}

std::string string_or(const xr::Struct &s, const char *key, std::string fallback = "") {
    const auto *v = s.find(key);
    return v && v->as_string() ? *v->as_string() : fallback;
}

std::optional<int> int_of(const xr::Struct &s, const char *key) {
    const auto *v = s.find(key);
    if (!v) return std::nullopt;
    return v->as_int();
}

void one_of(const std::string &value, std::initializer_list<const char *> allowed, const std::string &where) {
    for (const char *a : allowed)
        if (value == a) return;
    invalid(where + ": '" + value + "' is not an allowed value");
}

const xr::Array &array_of(const xr::Struct &s, const char *key, const std::string &where) {
    const auto *v = s.find(key);
    if (!v) invalid(where + ": '" + key + "' is mandatory");
    return *v->as_array();
}

const Schema kRequest{
    {"profile", Type::string}, {"customId", Type::string}, {"signers", Type::array}, {"documents", Type::array},
    {"mustContactFirstSigner", Type::boolean}, {"finalDocSent", Type::boolean},
    {"finalDocRequesterSent", Type::boolean}, {"finalDocObserverSent", Type::boolean},
    {"description", Type::string}, {"certificateType", Type::string}, {"language", Type::string},
    {"handwrittenSignatureMode", Type::integer}, {"chainingMode", Type::string},
    {"finalDocCCeMails", Type::array}, {"twoStepsRegistration", Type::boolean},
    {"successURL", Type::string}, {"cancelURL", Type::string}, {"failURL", Type::string},
    {"identificationType", Type::string}, {"redirectPolicy", Type::string}, {"redirectWait", Type::integer},
    {"autoSendAgreements", Type::boolean}, {"operator", Type::string}, {"registrationCallbackURL", Type::string},
    {"successRedirection", Type::structure}, {"cancelRedirection", Type::structure},
    {"failRedirection", Type::structure}, {"invitationMessage", Type::string}};

const Schema kSigner{
    {"firstname", Type::string}, {"lastname", Type::string}, {"organization", Type::string},
    {"profile", Type::string}, {"emailAddress", Type::string}, {"phoneNum", Type::string},
    {"language", Type::string}, {"role", Type::string}, {"birthDate", Type::datetime},
    {"universignId", Type::string}, {"successURL", Type::string}, {"cancelURL", Type::string},
    {"failURL", Type::string}, {"certificateType", Type::string}, {"idDocuments", Type::structure},
    {"validationSessionId", Type::string}};

const Schema kDocument{
    {"documentType", Type::string}, {"content", Type::base64}, {"url", Type::string},
    {"fileName", Type::string}, {"name", Type::string}, {"signatureFields", Type::array},
    {"checkBoxTexts", Type::array}, {"metaData", Type::structure}, {"title", Type::string},
    {"SEPAData", Type::structure}};

const Schema kField{
    {"name", Type::string}, {"page", Type::integer}, {"x", Type::integer}, {"y", Type::integer},
    {"signerIndex", Type::integer}, {"patternName", Type::string}, {"label", Type::string},
    {"image", Type::base64}};

const Schema kRedirection{{"URL", Type::string}, {"displayName", Type::string}};

const Schema kFilter{
    {"requesterEmail", Type::string}, {"profile", Type::string}, {"notBefore", Type::datetime},
    {"notAfter", Type::datetime}, {"startRange", Type::integer}, {"stopRange", Type::integer},
    {"signerId", Type::string}, {"notBeforeCompletion", Type::datetime},
    {"notAfterCompletion", Type::datetime}, {"status", Type::integer}, {"withAffiliated", Type::boolean}};

const std::initializer_list<const char *> kLanguages{"bg", "ca", "de", "en", "es", "fr", "it", "nl", "pl", "pt", "ro"};

Signer read_signer(const xr::Value &value, std::size_t index, const std::string &default_language) {
    const std::string where = "signers[" + std::to_string(index) + "]";
    const auto *s = value.as_struct();
    if (!s) invalid(where + ": expected struct, got " + value.type_name());
    check(*s, kSigner, where);
    Signer signer;
    signer.first_name = string_or(*s, "firstname");
    signer.last_name = string_or(*s, "lastname");
    signer.email = string_or(*s, "emailAddress");
    signer.phone = string_or(*s, "phoneNum");
    signer.language = string_or(*s, "language", default_language);
    one_of(signer.language, kLanguages, where + ".language");
    const auto role = string_or(*s, "role", "signer");
    one_of(role, {"signer", "observer"}, where + ".role");
    signer.observer = role == "observer";
    // The guide: an email for every signer, except maybe the first (who may sign in place).
    if (signer.email.empty() && index > 0) invalid(where + ": 'emailAddress' is mandatory");
    if (!signer.email.empty() && signer.email.find('@') == std::string::npos)
        invalid(where + ".emailAddress: '" + signer.email + "' is not an email address");
    if (s->find("certificateType")) one_of(string_or(*s, "certificateType"), {"simple", "advanced", "certified"}, where);
    return signer;
}

SignatureField read_field(const xr::Value &value, const std::string &where, std::size_t signers) {
    const auto *s = value.as_struct();
    if (!s) invalid(where + ": expected struct, got " + value.type_name());
    check(*s, kField, where);
    SignatureField field;
    field.type = "signature";
    field.name = string_or(*s, "name");
    field.page = int_of(*s, "page");
    field.x = int_of(*s, "x");
    field.y = int_of(*s, "y");
    field.signer_index = int_of(*s, "signerIndex");
    if (!field.page) invalid(where + ": 'page' is mandatory");
    if (*field.page == 0 || *field.page < -1) invalid(where + ".page: pages count from 1 (-1 is the last)");
    // A named field uses the PDF's own field: its coordinates are ignored.
    if (field.name.empty() && (!field.x || !field.y)) invalid(where + ": 'x' and 'y' are mandatory");
    if (!field.signer_index) invalid(where + ": 'signerIndex' is mandatory");
    if (*field.signer_index < 0 || static_cast<std::size_t>(*field.signer_index) >= signers)
        invalid(where + ".signerIndex: no signer " + std::to_string(*field.signer_index));
    return field;
}

Document read_document(const xr::Value &value, std::size_t index, std::size_t signers) {
    const std::string where = "documents[" + std::to_string(index) + "]";
    const auto *s = value.as_struct();
    if (!s) invalid(where + ": expected struct, got " + value.type_name());
    check(*s, kDocument, where);
    Document document;
    document.document_type = string_or(*s, "documentType", "pdf");
    one_of(document.document_type, {"pdf", "pdf-for-presentation", "pdf-optional", "sepa"}, where + ".documentType");
    if (s->find("url"))
        // The emulator reaches no other host: a document must come as content.
        invalid("Invalid document URL " + string_or(*s, "url") + " (this server accepts content only)");
    const auto *content = s->find("content");
    if (!content) invalid(where + ": 'content' is mandatory");
    document.content = *content->as_bytes();
    if (document.content.size() > kMaxDocumentBytes) invalid(where + ": over 10 MB");
    if (document.content.rfind("%PDF-", 0) != 0) invalid(where + ".content: not a PDF document");
    // The guide says fileName, clients send name; the server took either.
    document.file_name = string_or(*s, "fileName", string_or(*s, "name"));
    document.name = string_or(*s, "name", document.file_name);
    if (const auto *fields = s->find("signatureFields")) {
        const auto &list = *fields->as_array();
        for (std::size_t i = 0; i < list.size(); ++i)
            document.fields.push_back(read_field(list[i], where + ".signatureFields[" + std::to_string(i) + "]", signers));
    }
    if (const auto *texts = s->find("checkBoxTexts"))
        for (const auto &t : *texts->as_array())
            if (!t.as_string()) invalid(where + ".checkBoxTexts: strings expected");
    return document;
}

}  // namespace

Transaction read_transaction_request(const xr::Struct &request, const XmlRpcOptions &options) {
    check(request, kRequest, "TransactionRequest");
    Transaction tx;
    tx.api = Api::xmlrpc;
    tx.profile = string_or(request, "profile", "default");
    if (!options.profiles.count(tx.profile)) invalid("TransactionRequest.profile: unknown profile '" + tx.profile + "'");
    tx.custom_id = string_or(request, "customId");
    tx.description = string_or(request, "description");
    tx.language = string_or(request, "language", "en");
    one_of(tx.language, kLanguages, "TransactionRequest.language");
    tx.certificate_type = string_or(request, "certificateType", "simple");
    one_of(tx.certificate_type, {"simple", "advanced", "certified"}, "TransactionRequest.certificateType");
    if (request.find("chainingMode"))
        one_of(string_or(request, "chainingMode"), {"email", "none", "web"}, "TransactionRequest.chainingMode");
    const int handwritten = int_of(request, "handwrittenSignatureMode").value_or(0);
    if (handwritten < 0 || handwritten > 2) invalid("TransactionRequest.handwrittenSignatureMode: 0, 1 or 2");
    for (const char *key : {"successRedirection", "cancelRedirection", "failRedirection"})
        if (const auto *r = request.find(key)) check(*r->as_struct(), kRedirection, key);
    if (const auto *cc = request.find("finalDocCCeMails"))
        for (const auto &e : *cc->as_array())
            if (!e.as_string()) invalid("TransactionRequest.finalDocCCeMails: strings expected");

    const auto &signers = array_of(request, "signers", "TransactionRequest");
    if (signers.empty()) invalid("TransactionRequest.signers: at least one signer");
    for (std::size_t i = 0; i < signers.size(); ++i) tx.signers.push_back(read_signer(signers[i], i, tx.language));
    bool any_signer = false;
    for (const auto &s : tx.signers) any_signer = any_signer || !s.observer;
    if (!any_signer) invalid("TransactionRequest.signers: every signer is an observer");

    const auto &documents = array_of(request, "documents", "TransactionRequest");
    if (documents.empty()) invalid("TransactionRequest.documents: at least one document");
    for (std::size_t i = 0; i < documents.size(); ++i)
        tx.documents.push_back(read_document(documents[i], i, tx.signers.size()));

    // Fields only for signers, and with handwritten signatures on, one for every signer.
    std::set<int> with_field;
    for (const auto &d : tx.documents)
        for (const auto &f : d.fields) {
            if (tx.signers[static_cast<std::size_t>(*f.signer_index)].observer)
                invalid("signatureFields: signer " + std::to_string(*f.signer_index) + " is an observer");
            with_field.insert(*f.signer_index);
        }
    if (handwritten != 0)
        for (std::size_t i = 0; i < tx.signers.size(); ++i)
            if (!tx.signers[i].observer && !with_field.count(static_cast<int>(i)))
                invalid("handwrittenSignatureMode: signer " + std::to_string(i) + " has no signature field");
    return tx;
}

TransactionFilter read_filter(const xr::Struct &filter) {
    check(filter, kFilter, "TransactionFilter");
    TransactionFilter f;
    const auto text = [&](const char *key) -> std::optional<std::string> {
        if (const auto *v = filter.find(key)) return *v->as_string();
        return std::nullopt;
    };
    const auto date = [&](const char *key) -> std::optional<TimePoint> {
        const auto *v = filter.find(key);
        if (!v) return std::nullopt;
        const auto t = v->as_datetime()->to_time_point();
        if (!t) invalid(std::string("TransactionFilter.") + key + ": not a date");
        return t;
    };
    f.requester_email = text("requesterEmail");
    f.profile = text("profile");
    f.signer_id = text("signerId");
    f.not_before = date("notBefore");
    f.not_after = date("notAfter");
    f.not_before_completion = date("notBeforeCompletion");
    f.not_after_completion = date("notAfterCompletion");
    f.status = int_of(filter, "status");
    if (f.status && (*f.status < 0 || *f.status > 5)) invalid("TransactionFilter.status: 0 to 5");
    f.start_range = int_of(filter, "startRange").value_or(0);
    if (f.start_range < 0) invalid("TransactionFilter.startRange: negative");
    f.stop_range = int_of(filter, "stopRange").value_or(f.start_range + 1000);
    if (f.stop_range < f.start_range || f.stop_range > f.start_range + 1000)
        invalid("TransactionFilter.stopRange: must lie within startRange + 1000");
    return f;
}

}  // namespace relais::universign_emulator
