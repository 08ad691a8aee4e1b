// metrics.cc: see metrics.h.
#include "health/metrics.h"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <set>
#include <type_traits>

#include "core/error.h"

namespace inboxd::health {

namespace {

bool IsNameStart(char c, bool colon) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_' ||
         (colon && c == ':');
}

bool IsNameChar(char c, bool colon) {
  return IsNameStart(c, colon) || (c >= '0' && c <= '9');
}

// [a-zA-Z_:][a-zA-Z0-9_:]* (colon = true) or [a-zA-Z_][a-zA-Z0-9_]*.
bool IsValidName(std::string_view s, bool colon) {
  if (s.empty() || !IsNameStart(s[0], colon)) return false;
  return std::all_of(s.begin(), s.end(),
                     [colon](char c) { return IsNameChar(c, colon); });
}

// A sample value: integers exactly, otherwise the shortest round-trip form.
void AppendValue(std::string* out, double v) {
  if (std::isnan(v)) {
    *out += "NaN";
    return;
  }
  if (std::isinf(v)) {
    *out += v > 0 ? "+Inf" : "-Inf";
    return;
  }
  char buf[64];
  std::to_chars_result r;
  // 2^53: every integer up to here is exact in a double.
  if (v == std::trunc(v) && std::fabs(v) <= 9007199254740992.0) {
    r = std::to_chars(buf, buf + sizeof buf, static_cast<int64_t>(v));
  } else {
    r = std::to_chars(buf, buf + sizeof buf, v);
  }
  INBOXD_CHECK(r.ec == std::errc());
  out->append(buf, r.ptr);
}

// Label value escaping of the text format: \ " and newline.
void AppendLabelValue(std::string* out, std::string_view v) {
  for (char c : v) {
    switch (c) {
      case '\\':
        *out += "\\\\";
        break;
      case '"':
        *out += "\\\"";
        break;
      case '\n':
        *out += "\\n";
        break;
      default:
        *out += c;
    }
  }
}

// Help text escaping of the text format: \ and newline.
void AppendHelp(std::string* out, std::string_view v) {
  for (char c : v) {
    switch (c) {
      case '\\':
        *out += "\\\\";
        break;
      case '\n':
        *out += "\\n";
        break;
      default:
        *out += c;
    }
  }
}

void CheckFamily(const std::string& name, const std::string& help,
                 const std::vector<std::string>& label_names, bool histogram) {
  INBOXD_CHECK(IsValidName(name, true));
  INBOXD_CHECK(!help.empty());
  std::set<std::string_view> seen;
  for (const std::string& l : label_names) {
    INBOXD_CHECK(IsValidName(l, false));
    INBOXD_CHECK(l.rfind("__", 0) != 0);  // reserved for Prometheus
    INBOXD_CHECK(!(histogram && l == "le"));
    INBOXD_CHECK(seen.insert(l).second);
  }
}

// The family of AddGaugeFunction: one unlabelled series, computed.
class GaugeFunctionFamily final : public internal::FamilyBase {
 public:
  GaugeFunctionFamily(std::string name, std::string help,
                      std::function<double()> value)
      : FamilyBase(std::move(name), std::move(help), "gauge", {}),
        value_(std::move(value)) {}

  void Render(std::string* out) const override {
    double v = value_();
    RenderHeader(out);
    RenderSample(out, name_, {}, "", v);
  }

 private:
  const std::function<double()> value_;
};

// The family of AddGaugeCollector: every series computed.
class GaugeCollectorFamily final : public internal::FamilyBase {
 public:
  GaugeCollectorFamily(std::string name, std::string help,
                       std::vector<std::string> label_names,
                       std::function<std::vector<GaugeSample>()> collect)
      : FamilyBase(std::move(name), std::move(help), "gauge",
                   std::move(label_names)),
        collect_(std::move(collect)) {}

  void Render(std::string* out) const override {
    std::vector<GaugeSample> samples = collect_();
    for (const GaugeSample& s : samples) {
      INBOXD_CHECK(s.labels.size() == label_names_.size());
    }
    // Sorted like the other families; the first of equal label values wins.
    std::stable_sort(samples.begin(), samples.end(),
                     [](const GaugeSample& a, const GaugeSample& b) {
                       return a.labels < b.labels;
                     });
    samples.erase(std::unique(samples.begin(), samples.end(),
                              [](const GaugeSample& a, const GaugeSample& b) {
                                return a.labels == b.labels;
                              }),
                  samples.end());
    if (samples.empty()) return;
    RenderHeader(out);
    for (const GaugeSample& s : samples) {
      RenderSample(out, name_, s.labels, "", s.value);
    }
  }

 private:
  const std::function<std::vector<GaugeSample>()> collect_;
};

}  // namespace

// --- series ---

void Counter::Inc(double by) {
  INBOXD_CHECK(by >= 0);
  value_.fetch_add(by, std::memory_order_relaxed);
}

double Counter::Value() const { return value_.load(std::memory_order_relaxed); }

void Gauge::Set(double value) {
  value_.store(value, std::memory_order_relaxed);
}

void Gauge::Add(double delta) {
  value_.fetch_add(delta, std::memory_order_relaxed);
}

double Gauge::Value() const { return value_.load(std::memory_order_relaxed); }

Histogram::Histogram(std::vector<double> upper_bounds)
    : bounds_(std::move(upper_bounds)), counts_(bounds_.size() + 1, 0) {
  for (size_t i = 0; i < bounds_.size(); ++i) {
    INBOXD_CHECK(std::isfinite(bounds_[i]));
    INBOXD_CHECK(i == 0 || bounds_[i - 1] < bounds_[i]);
  }
}

void Histogram::Observe(double value) {
  // NaN compares false with every bound and lands in +Inf (as in the Go
  // client); the sum then becomes NaN, which is what happened.
  size_t i = static_cast<size_t>(
      std::lower_bound(bounds_.begin(), bounds_.end(), value) -
      bounds_.begin());
  if (std::isnan(value)) i = bounds_.size();
  std::lock_guard lock(mu_);
  ++counts_[i];
  sum_ += value;
}

Histogram::Snapshot Histogram::Get() const {
  Snapshot s;
  s.upper_bounds = bounds_;
  std::lock_guard lock(mu_);
  s.cumulative.reserve(counts_.size());
  uint64_t total = 0;
  for (uint64_t c : counts_) {
    total += c;
    s.cumulative.push_back(total);
  }
  s.sum = sum_;
  s.count = total;
  return s;
}

// --- families ---

namespace internal {

FamilyBase::FamilyBase(std::string name, std::string help, std::string type,
                       std::vector<std::string> label_names)
    : name_(std::move(name)),
      help_(std::move(help)),
      type_(std::move(type)),
      label_names_(std::move(label_names)) {
  CheckFamily(name_, help_, label_names_, type_ == "histogram");
}

void FamilyBase::RenderHeader(std::string* out) const {
  *out += "# HELP ";
  *out += name_;
  *out += ' ';
  AppendHelp(out, help_);
  *out += "\n# TYPE ";
  *out += name_;
  *out += ' ';
  *out += type_;
  *out += '\n';
}

void FamilyBase::RenderSample(std::string* out, std::string_view name,
                              const LabelValues& values, std::string_view extra,
                              double value) const {
  *out += name;
  if (!values.empty() || !extra.empty()) {
    *out += '{';
    for (size_t i = 0; i < values.size(); ++i) {
      if (i > 0) *out += ',';
      *out += label_names_[i];
      *out += "=\"";
      AppendLabelValue(out, values[i]);
      *out += '"';
    }
    if (!extra.empty()) {
      if (!values.empty()) *out += ',';
      *out += extra;
    }
    *out += '}';
  }
  *out += ' ';
  AppendValue(out, value);
  *out += '\n';
}

}  // namespace internal

template <typename Series>
Family<Series>::Family(std::string name, std::string help, std::string type,
                       std::vector<std::string> label_names,
                       std::vector<double> buckets)
    : FamilyBase(std::move(name), std::move(help), std::move(type),
                 std::move(label_names)),
      buckets_(std::move(buckets)) {}

template <typename Series>
Series& Family<Series>::With(const LabelValues& values) {
  INBOXD_CHECK(values.size() == label_names_.size());
  std::lock_guard lock(mu_);
  auto it = series_.find(values);
  if (it != series_.end()) return *it->second;
  std::unique_ptr<Series> s;
  if constexpr (std::is_same_v<Series, Histogram>) {
    s = std::make_unique<Histogram>(buckets_);
  } else {
    s = std::make_unique<Series>();
  }
  Series& ref = *s;
  series_.emplace(values, std::move(s));
  return ref;
}

template <typename Series>
void Family<Series>::Render(std::string* out) const {
  std::lock_guard lock(mu_);
  if (series_.empty()) return;
  RenderHeader(out);
  for (const auto& [values, series] : series_) {
    if constexpr (std::is_same_v<Series, Histogram>) {
      Histogram::Snapshot s = series->Get();
      const std::string bucket = name_ + "_bucket";
      for (size_t i = 0; i < s.upper_bounds.size(); ++i) {
        std::string le = "le=\"";
        AppendValue(&le, s.upper_bounds[i]);
        le += '"';
        RenderSample(out, bucket, values, le,
                     static_cast<double>(s.cumulative[i]));
      }
      RenderSample(out, bucket, values, "le=\"+Inf\"",
                   static_cast<double>(s.count));
      RenderSample(out, name_ + "_sum", values, "", s.sum);
      RenderSample(out, name_ + "_count", values, "",
                   static_cast<double>(s.count));
    } else {
      RenderSample(out, name_, values, "", series->Value());
    }
  }
}

template class Family<Counter>;
template class Family<Gauge>;
template class Family<Histogram>;

// --- registry ---

Registry::Registry() = default;
Registry::~Registry() = default;

template <typename F>
F& Registry::Add(std::unique_ptr<F> family) {
  F& ref = *family;
  std::lock_guard lock(mu_);
  for (const auto& f : families_) INBOXD_CHECK(f->name() != ref.name());
  families_.push_back(std::move(family));
  return ref;
}

CounterFamily& Registry::AddCounter(std::string name, std::string help,
                                    std::vector<std::string> label_names) {
  bool plain = label_names.empty();
  auto& f = Add(std::make_unique<CounterFamily>(
      std::move(name), std::move(help), "counter", std::move(label_names)));
  if (plain) f.With();
  return f;
}

GaugeFamily& Registry::AddGauge(std::string name, std::string help,
                                std::vector<std::string> label_names) {
  bool plain = label_names.empty();
  auto& f = Add(std::make_unique<GaugeFamily>(std::move(name), std::move(help),
                                              "gauge", std::move(label_names)));
  if (plain) f.With();
  return f;
}

HistogramFamily& Registry::AddHistogram(std::string name, std::string help,
                                        std::vector<std::string> label_names,
                                        std::vector<double> buckets) {
  // Check the bounds now, not at the first With().
  (void)Histogram(buckets);
  bool plain = label_names.empty();
  auto& f = Add(std::make_unique<HistogramFamily>(
      std::move(name), std::move(help), "histogram", std::move(label_names),
      std::move(buckets)));
  if (plain) f.With();
  return f;
}

void Registry::AddGaugeFunction(std::string name, std::string help,
                                std::function<double()> value) {
  INBOXD_CHECK(value != nullptr);
  Add(std::make_unique<GaugeFunctionFamily>(std::move(name), std::move(help),
                                            std::move(value)));
}

void Registry::AddGaugeCollector(
    std::string name, std::string help, std::vector<std::string> label_names,
    std::function<std::vector<GaugeSample>()> collect) {
  INBOXD_CHECK(collect != nullptr);
  Add(std::make_unique<GaugeCollectorFamily>(std::move(name), std::move(help),
                                             std::move(label_names),
                                             std::move(collect)));
}

std::string Registry::Render() const {
  // Families are never removed, so the pointers outlive the lock.
  std::vector<const internal::FamilyBase*> families;
  {
    std::lock_guard lock(mu_);
    families.reserve(families_.size());
    for (const auto& f : families_) families.push_back(f.get());
  }
  std::string out;
  for (const internal::FamilyBase* f : families) f->Render(&out);
  return out;
}

}  // namespace inboxd::health
