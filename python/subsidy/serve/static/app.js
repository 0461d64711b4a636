// The clerk's page: plain DOM, no library, no network beyond this service. Amounts stay the
// exact strings the service sends; grouping digits is done on the text, never with numbers.
"use strict";

const STATUS = { exact: "确定 exact", band: "区间 band", unfixed: "未定 unfixed", recognised: "认定 recognised" };
const FORM = { cash: "现金 cash", in_kind: "实物 in kind", honour: "荣誉 honour", preference: "优惠 preference" };
let ruleSet = null;

function $(id) { return document.getElementById(id); }

function el(tag, attrs, ...children) {
  const node = document.createElement(tag);
  for (const [key, value] of Object.entries(attrs || {})) {
    if (key === "class") node.className = value; else node.setAttribute(key, value);
  }
  for (const child of children) {
    if (child === null || child === undefined) continue;
    node.append(child instanceof Node ? child : String(child));
  }
  return node;
}

function grouped(text) {
  if (text === null || text === undefined) return "";
  const [whole, fraction] = String(text).split(".");
  const sign = whole.startsWith("-") ? "-" : "";
  const digits = sign ? whole.slice(1) : whole;
  const withCommas = digits.replace(/\B(?=(\d{3})+(?!\d))/g, ",");
  return "¥" + sign + withCommas + (fraction !== undefined ? "." + fraction : "");
}

function bandText(band) {
  if (!band) return "";
  return band.min === band.max ? grouped(band.min) : grouped(band.min) + " – " + grouped(band.max);
}

function headers() {
  const token = $("token").value;
  return token ? { Authorization: "Bearer " + token } : {};
}

async function call(path, options) {
  const response = await fetch(path, { ...options, headers: { ...headers(), ...(options && options.headers) } });
  if (response.status === 401) $("token-row").hidden = false;
  if (!response.ok) {
    let text = response.status + " " + response.statusText;
    try {
      const body = await response.json();
      text = body.error.message + (body.error.path ? " (" + body.error.path + ")" : "");
    } catch (ignored) { /* not JSON */ }
    throw new Error(text);
  }
  return response;
}

function say(text) { $("message").textContent = text || ""; }

function scenario() {
  const out = { choose: {}, options: {}, parameters: {} };
  for (const select of document.querySelectorAll("select[data-group]")) out.choose[select.dataset.group] = select.value;
  for (const select of document.querySelectorAll("select[data-option]")) out.options[select.dataset.option] = select.value;
  if ($("on").value) out.on = $("on").value;
  return out;
}

function showReceipt(receipt) {
  if (!receipt) return;
  $("receipt").textContent = "回执 Receipt: 规则指纹 fingerprint " + receipt.fingerprint.slice(0, 16) +
    "… · 情景 scenario " + (receipt.scenario.trim().split("\n").join("; ") || "default") +
    " · 引擎 engine " + receipt.engine;
}

async function loadRules() {
  const response = await call("/api/rules");
  ruleSet = await response.json();
  const titles = Object.fromEntries(ruleSet.policy_sets.map((p) => [p.id, p.title]));
  const groups = $("groups");
  groups.replaceChildren();
  for (const group of ruleSet.groups) {
    const select = el("select", { "data-group": group.id, id: "group-" + group.id });
    for (const member of group.members) {
      const title = titles[member] || { zh: member, en: "" };
      const option = el("option", { value: member }, title.zh + " · " + title.en + " (" + member + ")");
      if (member === group.default) option.selected = true;
      select.append(option);
    }
    groups.append(el("label", { class: "choice" }, group.title.zh, el("span", { class: "en" }, group.title.en), select));
  }
  const options = $("options");
  options.replaceChildren();
  for (const opt of ruleSet.options) {
    const select = el("select", { "data-option": opt.name, id: "option-" + opt.name });
    for (const [value, text] of Object.entries(opt.choices)) {
      const option = el("option", { value }, text.zh + " · " + text.en);
      if (value === opt.default) option.selected = true;
      select.append(option);
    }
    options.append(el("label", { class: "choice" }, opt.question.zh, el("span", { class: "en" }, opt.question.en), select));
  }
  const summary = ruleSet.policy_sets.length + " 个政策文件 policy sets, " + ruleSet.rules.length + " 条规则 rules";
  $("ruleset").textContent = summary;
  showReceipt(ruleSet.receipt);
}

function upload(fields) {
  const form = new FormData();
  for (const [name, input] of Object.entries(fields)) {
    const file = $(input).files[0];
    if (!file) throw new Error(input === "ledger" ? "请选择台账文件 Choose a ledger file" : "请选择企业数据文件 Choose an enterprise file");
    form.append(name, file, file.name);
  }
  form.append("scenario", JSON.stringify(scenario()));
  return form;
}

function ruleTitle(policySet, rule) {
  const found = ruleSet && ruleSet.rules.find((r) => r.qualified_id === policySet + "/" + rule);
  return found ? found.title.zh + " · " + found.title.en : rule;
}

function lineRow(evaluation, line) {
  const key = evaluation.enterprise + "|" + line.policy_set + "/" + line.rule;
  const amount = line.status === "band" ? bandText(line.band) : grouped(line.amount);
  const trace = (line.trace || []).map((step) => step.kind + ": " + step.detail).join("\n");
  const explanation = el("details", { class: "explain" },
    el("summary", {}, "解释 Explain"),
    el("p", { class: "cited" }, "「" + line.citation + "」"),
    el("pre", {}, trace || "（无计算步骤 no steps）"));
  return el("tr", { "data-line": key },
    el("td", {}, el("code", {}, line.policy_set + "/" + line.rule), el("br"), ruleTitle(line.policy_set, line.rule)),
    el("td", {}, line.clause),
    el("td", { class: "amount", "data-amount": line.amount === null ? "" : line.amount },
      amount || line.unfixed_text || ""),
    el("td", {}, STATUS[line.status] || line.status),
    el("td", {}, line.payer, el("br"), FORM[line.form] || line.form),
    el("td", {}, el("div", { class: "cited" }, line.citation), explanation));
}

function showEvaluations(body) {
  const results = $("results");
  results.replaceChildren();
  for (const evaluation of body.evaluations) {
    const total = evaluation.totals ? evaluation.totals.all : null;
    const block = el("div", { class: "enterprise", "data-enterprise": evaluation.enterprise },
      el("h3", {}, evaluation.name + " (" + evaluation.enterprise + (evaluation.year ? ", " + evaluation.year : "") + ")"));
    if (evaluation.error) {
      block.append(el("p", { class: "error" }, "错误 Error: " + evaluation.error));
    } else {
      if (total) {
        block.append(el("p", { class: "total", "data-cash-min": total.cash.min, "data-cash-max": total.cash.max },
          "现金合计 Cash total: " + bandText(total.cash) +
          (total.unfixed ? " · " + total.unfixed + " 项未定 unfixed" : "")));
      }
      const table = el("table", {}, el("thead", {}, el("tr", {},
        el("th", {}, "规则 Rule"), el("th", {}, "条款 Clause"), el("th", {}, "金额 Amount"),
        el("th", {}, "状态 Status"), el("th", {}, "支付方 Payer"), el("th", {}, "引用原文 Cited sentence"))));
      const tbody = el("tbody");
      for (const line of evaluation.lines) tbody.append(lineRow(evaluation, line));
      table.append(tbody);
      block.append(table);
    }
    results.append(block);
  }
  showReceipt(body.receipt);
}

function showFindings(body) {
  const report = body.report;
  const box = $("findings");
  box.replaceChildren(el("p", { id: "audit-summary", "data-findings": report.findings.length },
    "台账 " + report.grants + " 笔，发放合计 " + grouped(report.granted) + "，发现 " + report.findings.length + " 项 · " +
    report.grants + " grants, " + grouped(report.granted) + " granted, " + report.findings.length + " findings"));
  const tbody = el("tbody");
  for (const f of report.findings) {
    tbody.append(el("tr", { class: f.severity, "data-finding": f.row + "|" + f.kind },
      el("td", {}, f.row), el("td", {}, f.severity === "error" ? "错误 error" : "警告 warning"),
      el("td", {}, f.kind), el("td", {}, f.enterprise + " " + f.year), el("td", {}, f.rule),
      el("td", { class: "amount", "data-granted": f.granted }, grouped(f.granted)),
      el("td", { class: "amount" }, f.computed ? bandText(f.computed) : ""),
      el("td", {}, f.message, f.citation ? el("div", { class: "cited" }, "「" + f.citation.text + "」") : null)));
  }
  box.append(el("table", {}, el("thead", {}, el("tr", {},
    el("th", {}, "行 Row"), el("th", {}, "级别 Severity"), el("th", {}, "类型 Kind"),
    el("th", {}, "企业 Enterprise"), el("th", {}, "规则 Rule"), el("th", {}, "已发 Granted"),
    el("th", {}, "应发 Computed"), el("th", {}, "说明 Message"))), tbody));
  showReceipt(body.receipt);
}

async function download(path, fields, filename) {
  const response = await call(path, { method: "POST", body: upload(fields) });
  const url = URL.createObjectURL(await response.blob());
  const link = el("a", { href: url, download: filename });
  document.body.append(link);
  link.click();
  link.remove();
  setTimeout(() => URL.revokeObjectURL(url), 10000);
}

function action(id, run) {
  $(id).addEventListener("click", async () => {
    say("");
    document.body.dataset.busy = id;
    try { await run(); } catch (error) { say("出错 Error: " + error.message); }
    delete document.body.dataset.busy;
    document.body.dataset.done = id;
  });
}

action("evaluate", async () => {
  const response = await call("/api/upload/evaluate", { method: "POST", body: upload({ file: "facts" }) });
  showEvaluations(await response.json());
});
action("evaluate-xlsx", () => download("/api/upload/evaluate.xlsx", { file: "facts" }, "subsidy-results.xlsx"));
action("audit", async () => {
  const response = await call("/api/upload/audit", { method: "POST", body: upload({ file: "facts", ledger: "ledger" }) });
  showFindings(await response.json());
});
action("audit-xlsx", () => download("/api/upload/audit.xlsx", { file: "facts", ledger: "ledger" }, "subsidy-audit.xlsx"));

$("token").addEventListener("change", () => loadRules().catch((error) => say(error.message)));
loadRules().catch((error) => say("出错 Error: " + error.message));
