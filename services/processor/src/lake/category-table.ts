/**
 * Clickstream and transaction item categories by catalogue item number. This table is the
 * mapping: change it here (or load another with the same shape), not in code.
 */

/** An inclusive range of item ids that belongs to one category. */
export interface CategoryRange {
  from: number;
  to: number;
  category: string;
}

/** The category of an item id outside every range, or of a missing one. */
export const OTHER_CATEGORY = 'Other';

/** The catalogue's item id ranges. */
export const CATEGORY_RANGES: readonly CategoryRange[] = [
  { from: 100, to: 249, category: 'Clothing' },
  { from: 250, to: 499, category: 'Instruments' },
  { from: 500, to: 749, category: 'Electronics' },
  { from: 750, to: 999, category: 'Books' },
];
