/**
 * Gig income in integer cents, rendered the way Argyle renders money: 2-decimal strings
 * ("-2.32"), null where a platform does not report a value. Working in cents keeps
 * `total = pay + tips + bonus + other` exact after any number of mutations.
 * @module
 */
import type { Income } from "./model.ts";

/** The parts income is built from, in cents. Null = the platform does not report it. */
export interface IncomeParts {
  currency: string;
  pay: number;
  tips: number | null;
  bonus: number | null;
  other: number | null;
  /** The platform's cut; when known, the customer was charged `total + fees`. */
  fees: number | null;
  /** Whether the platform reports `customer_price` (the charge without the tip). */
  customerPrice: boolean;
}

/** "12.34" from 1234 cents, "-0.05" from -5. */
export function formatCents(cents: number): string {
  const abs = Math.abs(Math.round(cents));
  const sign = cents < 0 && abs > 0 ? "-" : "";
  return `${sign}${Math.floor(abs / 100)}.${String(abs % 100).padStart(2, "0")}`;
}

/** Cents from a 2-decimal string; null stays null. */
export function parseCents(value: string | null): number | null {
  if (value === null) return null;
  return Math.round(Number(value) * 100);
}

/** `pay + tips + bonus + other`, the way Argyle defines `total`. */
export function totalCents(parts: IncomeParts): number {
  return parts.pay + (parts.tips ?? 0) + (parts.bonus ?? 0) + (parts.other ?? 0);
}

/** The income object for `parts`. */
export function buildIncome(parts: IncomeParts): Income {
  const total = totalCents(parts);
  const charge = parts.fees === null ? null : total + parts.fees;
  return {
    currency: parts.currency,
    total_charge: charge === null ? null : formatCents(charge),
    customer_price: parts.customerPrice && charge !== null ? formatCents(charge - (parts.tips ?? 0)) : null,
    fees: parts.fees === null ? null : formatCents(parts.fees),
    total: formatCents(total),
    pay: formatCents(parts.pay),
    tips: parts.tips === null ? null : formatCents(parts.tips),
    bonus: parts.bonus === null ? null : formatCents(parts.bonus),
    other: parts.other === null ? null : formatCents(parts.other),
  };
}

/** The parts back from an income object (inverse of `buildIncome`). */
export function incomeParts(income: Income): IncomeParts {
  return {
    currency: income.currency,
    pay: parseCents(income.pay) ?? 0,
    tips: parseCents(income.tips),
    bonus: parseCents(income.bonus),
    other: parseCents(income.other),
    fees: parseCents(income.fees),
    customerPrice: income.customer_price !== null,
  };
}

/** Splits `parts` over `n` orders; the last order takes the remainders so the sums match. */
export function splitIncome(parts: IncomeParts, n: number): IncomeParts[] {
  const share = (value: number | null, i: number): number | null => {
    if (value === null) return null;
    const base = Math.trunc(value / n);
    return i === n - 1 ? value - base * (n - 1) : base;
  };
  return Array.from({ length: n }, (_, i) => ({
    ...parts,
    pay: share(parts.pay, i) ?? 0,
    tips: share(parts.tips, i),
    bonus: share(parts.bonus, i),
    other: share(parts.other, i),
    fees: share(parts.fees, i),
  }));
}

/** Earnings per hour and per distance unit, as a platform would report them; null when undefined. */
export function incomeRates(
  parts: IncomeParts,
  durationSeconds: number | null,
  distance: number | null,
): { hour: string | null; mile: string | null } {
  const total = totalCents(parts);
  return {
    hour: durationSeconds && durationSeconds > 0 ? formatCents((total * 3600) / durationSeconds) : null,
    mile: distance && distance > 0 ? formatCents(total / distance) : null,
  };
}

/** Argyle explains a non-zero `income.other` in `metadata`. */
export function incomeMetadata(other: number | null, reason?: string): Record<string, unknown> {
  if (!other) return {};
  const name = reason ?? (other < 0 ? "Taxes: Withholding tax" : "Tolls reimbursement");
  return { "income.other": { name, value: formatCents(other) } };
}
