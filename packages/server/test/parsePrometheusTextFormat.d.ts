// Types for parse-prometheus-text-format 1.1.1 (it ships none): the prom2json shape it returns.
declare module 'parse-prometheus-text-format' {
  export interface ParsedSample {
    labels?: Record<string, string>
    /** Counters, gauges, untyped. */
    value?: string
    /** Histograms: upper bound (`le`) → cumulative count. */
    buckets?: Record<string, string>
    count?: string
    sum?: string
  }
  export interface ParsedFamily {
    name: string
    help: string
    type: 'COUNTER' | 'GAUGE' | 'HISTOGRAM' | 'SUMMARY' | 'UNTYPED'
    metrics: ParsedSample[]
  }
  /** Throws `InvalidLineError` on a line that is not the text format. */
  export default function parsePrometheusTextFormat(text: string): ParsedFamily[]
}
