import Foundation

/// rpm-ostree's `automatic-version-prefix`: the next version after the previous commit's.
///
/// With prefix `42` the versions go `42`, `42.1`, `42.2`... A `<date:FORMAT>` part in the
/// prefix is expanded with strftime-style `%Y %m %d %H %M %S`, so a new day starts at `.0`
/// again (`42.20261123.0`).
public enum AutomaticVersion {
    public static func next(prefix rawPrefix: String, suffix: String = ".", previous: String?, date: Date = Date()) -> String {
        let prefix = expandDate(rawPrefix, date: date)
        guard let previous, previous == prefix || previous.hasPrefix(prefix + suffix) else {
            return rawPrefix.contains("<date:") ? prefix + suffix + "0" : prefix
        }
        let tail = previous.dropFirst(prefix.count + suffix.count)
        let counter = Int(tail.prefix { $0.isNumber }) ?? 0
        return prefix + suffix + String(previous == prefix ? 1 : counter + 1)
    }

    static func expandDate(_ prefix: String, date: Date) -> String {
        guard let start = prefix.range(of: "<date:"), let end = prefix[start.upperBound...].firstIndex(of: ">") else {
            return prefix
        }
        let format = String(prefix[start.upperBound..<end])
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = TimeZone(identifier: "UTC")!
        let parts = calendar.dateComponents([.year, .month, .day, .hour, .minute, .second], from: date)
        var expanded = format
        for (code, value, width) in [("%Y", parts.year, 4), ("%m", parts.month, 2), ("%d", parts.day, 2),
                                     ("%H", parts.hour, 2), ("%M", parts.minute, 2), ("%S", parts.second, 2)] {
            expanded = expanded.replacingOccurrences(of: code, with: String(format: "%0\(width)d", value ?? 0))
        }
        return prefix.replacingCharacters(in: start.lowerBound...end, with: expanded)
    }
}
