#include "agent/normalize/normalizer.h"

#include <array>

#include "agent/normalize/json_reader.h"
#include "agent/normalize/record_context.h"

namespace auditrelay {
namespace {

using normalize::Json;
using normalize::RecordContext;

constexpr std::array<std::string_view, 3> kSchemaNames = {"auto", "policy_gateway",
                                                          "governance_audit"};
constexpr std::array<std::string_view, kRejectReasonCount> kReasonNames = {
    "invalid_json", "invalid_utf8",  "not_an_object",     "too_deep",
    "too_large",    "empty",         "unknown_schema",    "missing_field",
    "wrong_type",   "invalid_value", "invalid_timestamp",
};

using SchemaNormalizer = std::optional<Rejection> (*)(const Json&, RecordContext&);

// The members that tell the schemas apart, found in one pass over the record.
struct SchemaMarkers {
  bool policy_id_camel = false;  // policyId
  bool allowed = false;
  bool policy_id = false;
  bool decision = false;
  bool data_stream_object = false;
  bool policy_object = false;
};

SchemaMarkers find_markers(const Json& record) {
  SchemaMarkers m;
  for (const normalize::Member member : normalize::object_of(record)) {
    const std::string_view key = member.key;
    m.policy_id_camel |= key == "policyId";
    m.allowed |= key == "allowed";
    m.policy_id |= key == "policy_id";
    m.decision |= key == "decision";
    m.data_stream_object |= key == "data_stream" && member.value.is_object();
    m.policy_object |= key == "policy" && member.value.is_object();
  }
  return m;
}

// MAPPING.md §3, in its order of precedence.
SchemaNormalizer pick(const Json& record, Schema schema) {
  switch (schema) {
    case Schema::kPolicyGateway:
      return normalize::normalize_policy_gateway;
    case Schema::kGovernanceAudit:
      return normalize::normalize_governance_audit;
    case Schema::kAuto:
      break;
  }
  const SchemaMarkers m = find_markers(record);
  if (m.policy_id_camel && m.allowed) return normalize::normalize_governance_audit;
  if (m.policy_id && m.decision) return normalize::normalize_policy_gateway;
  if (m.data_stream_object && m.policy_object) return normalize::normalize_passthrough;
  return nullptr;
}

Rejection not_an_object(const Json& root) {
  return {RejectReason::kNotAnObject,
          "record must be a JSON object, got " + std::string(normalize::json_type_name(root))};
}

}  // namespace

bool parse_schema(std::string_view text, Schema& out) {
  for (size_t i = 0; i < kSchemaNames.size(); ++i) {
    if (text == kSchemaNames[i]) {
      out = static_cast<Schema>(i);
      return true;
    }
  }
  return false;
}

std::string_view to_string(Schema schema) {
  return kSchemaNames[static_cast<size_t>(schema)];
}

std::string_view to_string(RejectReason reason) {
  return kReasonNames[static_cast<size_t>(reason)];
}

struct Normalizer::State {
  explicit State(const NormalizeOptions& options)
      : writer(output),
        default_index("logs-" + options.dataset + "-" + options.namespace_),
        constants(options) {}

  normalize::JsonReader reader;
  normalize::OutputBuffer output;
  normalize::JsonWriter writer;
  normalize::Scratch scratch;
  std::string default_index;
  normalize::ConstantFields constants;
};

Normalizer::Normalizer(NormalizeOptions options)
    : options_(std::move(options)), state_(std::make_unique<State>(options_)) {}

Normalizer::~Normalizer() = default;

std::optional<Rejection> Normalizer::normalize(std::string_view raw, Schema schema,
                                               const RecordPosition& where, DocumentBatch& out,
                                               normalize::EventType* event_type,
                                               size_t readable_after) {
  State& s = *state_;
  if (auto rejection = s.reader.parse(raw, options_.max_depth, readable_after)) return rejection;
  const Json record = s.reader.root();
  if (!record.is_object()) return not_an_object(record);
  const SchemaNormalizer normalizer = pick(record, schema);
  if (normalizer == nullptr) {
    return Rejection{RejectReason::kUnknownSchema,
                     "record matches neither policy_gateway, governance_audit nor a "
                     "normalized event"};
  }

  s.output.Clear();
  s.writer.Reset(s.output);
  s.writer.SetRecordStringsPlain(raw.find('\\') == std::string_view::npos);
  RecordContext ctx{.options = options_,
                    .where = where,
                    .raw = raw,
                    .default_index = s.default_index,
                    .constants = s.constants,
                    .writer = s.writer,
                    .scratch = s.scratch};
  if (auto rejection = normalizer(record, ctx)) return rejection;
  out.add(ctx.id, ctx.index, {s.output.GetString(), s.output.GetSize()});
  if (event_type != nullptr) *event_type = ctx.event_type;
  return std::nullopt;
}

}  // namespace auditrelay
