// metrics.h: a small thread-safe Prometheus registry and its text exposition.
//
// What it does: holds metric families (counters, gauges, histograms, and
// gauges computed by a callback at scrape time). A family has a name, a help
// text and a fixed list of label names; each distinct list of label values is
// one series of the family. Registry::Render() writes every family in the
// Prometheus text exposition format 0.0.4
// (https://prometheus.io/docs/instrumenting/exposition_formats/):
//   # HELP inboxd_acks_total Acknowledgements by result.
//   # TYPE inboxd_acks_total counter
//   inboxd_acks_total{result="sent"} 3
// One "# HELP" and one "# TYPE" line per family, however many series it has;
// families in registration order, series sorted by their label values. Label
// values escape '\' as "\\", '"' as "\"" and newline as "\n"; help text
// escapes '\' and newline. A histogram writes cumulative
// name_bucket{...,le="<bound>"} lines, then le="+Inf" (= the count), then
// name_sum and name_count. Values: integers exactly ("1", "123456789"), other
// numbers in the shortest form that reads back ("0.25", "1e+300"), and
// "+Inf", "-Inf", "NaN". A family with no series (a labelled family nothing
// was counted in yet, a collector that returned nothing) is left out, like
// the Go client does.
//
// What it does not do: serve HTTP (http_server.h), know inboxd's own series
// (daemon_metrics.h), expire or delete series, write timestamps, or summaries.
//
// Thread safety: every method may be called from any thread. Counter::Inc,
// Gauge::Set/Add are one atomic operation; Histogram::Observe takes the
// series' own mutex; With() takes its family's mutex (so keep the returned
// reference when a hot path counts the same series again and again: it stays
// valid as long as the Registry lives). Render() never holds a lock while it
// calls a gauge callback or collector.
//
// Misuse is a bug, not an error: an invalid metric or label name, a name
// registered twice, an empty help text, the wrong number of label values, a
// label "le" on a histogram, buckets that are not finite and strictly
// increasing, or a negative counter increment abort with file:line
// (INBOXD_CHECK).
#pragma once

#include <atomic>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <vector>

namespace inboxd::health {

// Label values of one series, in the order of its family's label names.
using LabelValues = std::vector<std::string>;

// A value that only goes up (Prometheus "counter").
class Counter {
 public:
  // Adds `by`. REQUIRES: by >= 0.
  void Inc(double by = 1);
  double Value() const;

 private:
  std::atomic<double> value_{0};
};

// A value that goes up and down (Prometheus "gauge").
class Gauge {
 public:
  void Set(double value);
  void Add(double delta);
  double Value() const;

 private:
  std::atomic<double> value_{0};
};

// Observations counted into fixed buckets (Prometheus "histogram").
class Histogram {
 public:
  // `upper_bounds`: finite and strictly increasing (may be empty: then only
  // the +Inf bucket). The +Inf bucket is implicit.
  explicit Histogram(std::vector<double> upper_bounds);

  // Counts `value` in the first bucket whose bound is >= value (Prometheus
  // "le" semantics: a value equal to a bound is in that bucket) and adds it
  // to the sum.
  void Observe(double value);

  struct Snapshot {
    std::vector<double> upper_bounds;
    // Cumulative counts: cumulative[i] = observations <= upper_bounds[i];
    // one more entry at the end for +Inf (= count).
    std::vector<uint64_t> cumulative;
    double sum = 0;
    uint64_t count = 0;
  };
  // A consistent view: count == cumulative.back().
  Snapshot Get() const;

 private:
  const std::vector<double> bounds_;
  mutable std::mutex mu_;
  std::vector<uint64_t> counts_;  // per bucket, not cumulative; last = +Inf
  double sum_ = 0;
};

namespace internal {

// What Registry keeps per family.
class FamilyBase {
 public:
  FamilyBase(std::string name, std::string help, std::string type,
             std::vector<std::string> label_names);
  virtual ~FamilyBase() = default;
  FamilyBase(const FamilyBase&) = delete;
  FamilyBase& operator=(const FamilyBase&) = delete;

  // Appends this family in the text format; nothing when it has no series.
  virtual void Render(std::string* out) const = 0;

  const std::string& name() const { return name_; }

 protected:
  // Appends "# HELP" and "# TYPE".
  void RenderHeader(std::string* out) const;
  // Appends `name{labels[,extra]} value\n`; `extra` is a ready
  // `le="..."` pair or empty.
  void RenderSample(std::string* out, std::string_view name,
                    const LabelValues& values, std::string_view extra,
                    double value) const;

  const std::string name_;
  const std::string help_;
  const std::string type_;
  const std::vector<std::string> label_names_;
};

}  // namespace internal

// All series of one counter, gauge or histogram family.
template <typename Series>
class Family final : public internal::FamilyBase {
 public:
  Family(std::string name, std::string help, std::string type,
         std::vector<std::string> label_names,
         std::vector<double> buckets = {});

  // The series with these label values, created (at 0) on first use.
  // REQUIRES: values.size() == the number of label names. The reference
  // stays valid for the Registry's lifetime.
  Series& With(const LabelValues& values = {});

  void Render(std::string* out) const override;

 private:
  const std::vector<double> buckets_;  // histograms only
  mutable std::mutex mu_;
  std::map<LabelValues, std::unique_ptr<Series>> series_;
};

using CounterFamily = Family<Counter>;
using GaugeFamily = Family<Gauge>;
using HistogramFamily = Family<Histogram>;

extern template class Family<Counter>;
extern template class Family<Gauge>;
extern template class Family<Histogram>;

// One series of a gauge collector.
struct GaugeSample {
  LabelValues labels;
  double value = 0;
};

class Registry {
 public:
  Registry();
  ~Registry();
  Registry(const Registry&) = delete;
  Registry& operator=(const Registry&) = delete;

  // Each Add* registers a new family and returns it (valid for the
  // Registry's lifetime). `name` matches [a-zA-Z_:][a-zA-Z0-9_:]*, each label
  // name [a-zA-Z_][a-zA-Z0-9_]* and does not start with "__"; names are
  // unique. A family without labels has its one series created at once
  // (so it is rendered as 0 from the start).
  CounterFamily& AddCounter(std::string name, std::string help,
                            std::vector<std::string> label_names = {});
  GaugeFamily& AddGauge(std::string name, std::string help,
                        std::vector<std::string> label_names = {});
  // `buckets`: the finite upper bounds, strictly increasing; +Inf is added.
  HistogramFamily& AddHistogram(std::string name, std::string help,
                                std::vector<std::string> label_names,
                                std::vector<double> buckets);

  // A gauge with one unlabelled series whose value `value` computes at each
  // Render (e.g. the process's resident memory).
  void AddGaugeFunction(std::string name, std::string help,
                        std::function<double()> value);

  // A gauge family whose series are exactly what `collect` returns at each
  // Render: state owned elsewhere (e.g. "is this folder connected"), so a
  // series that disappears there disappears here. Each sample needs one
  // value per label name (else abort); of two samples with the same label
  // values only the first is written.
  void AddGaugeCollector(std::string name, std::string help,
                         std::vector<std::string> label_names,
                         std::function<std::vector<GaugeSample>()> collect);

  // The text exposition (format 0.0.4) of every family. Gauge callbacks and
  // collectors run on the calling thread, without any registry lock held;
  // they must be thread-safe if Render can run on two threads at once.
  std::string Render() const;

 private:
  template <typename F>
  F& Add(std::unique_ptr<F> family);

  mutable std::mutex mu_;
  std::vector<std::unique_ptr<internal::FamilyBase>> families_;
};

}  // namespace inboxd::health
