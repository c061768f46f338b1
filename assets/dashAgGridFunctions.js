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
