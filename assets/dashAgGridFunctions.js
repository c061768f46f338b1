// Formatters for AG Grid cells: numbers in the interface language, missing values as such.
var dagfuncs = (window.dashAgGridFunctions = window.dashAgGridFunctions || {});

const MISSING = { id: "Data tidak tersedia", en: "No data" };

dagfuncs.formatNumber = function (value, decimals, lang) {
  if (value === null || value === undefined || Number.isNaN(value)) {
    return MISSING[lang] || MISSING.id;
  }
  return new Intl.NumberFormat(lang === "en" ? "en-US" : "id-ID", {
    minimumFractionDigits: decimals,
    maximumFractionDigits: decimals,
  }).format(value);
};

dagfuncs.formatChange = function (value, decimals, lang) {
  if (value === null || value === undefined || Number.isNaN(value)) {
    return "–";
  }
  const text = dagfuncs.formatNumber(Math.abs(value), decimals, lang);
  return value > 0 ? "▲ +" + text : value < 0 ? "▼ −" + text : "0";
};

// A typed entry the write path would refuse: not a number (a decimal comma is fine),
// outside the indicator's scale, or a fraction where whole numbers are counted.
dagfuncs.isInvalidEntry = function (value, low, high, whole) {
  if (value === null || value === undefined || String(value).trim() === "") return false;
  const text = String(value).trim().replace(",", ".");
  if (!/^[-+]?(\d+\.?\d*|\.\d+)$/.test(text)) return true;
  const number = Number(text);
  return (low !== null && number < low) || (high !== null && number > high) ||
    (whole && !Number.isInteger(number));
};
