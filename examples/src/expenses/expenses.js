// @ts-check
/// <reference types="@corral/plugin" />
/**
 * An expense tracker: a text input, a number input, a select and a table. Each field's binding
 * names its reducer, which gets the field's new value; `add` checks the draft and appends it.
 */
const CATEGORIES = [
  { value: 'food', label: 'Food' },
  { value: 'travel', label: 'Travel' },
  { value: 'office', label: 'Office' },
];

/** @typedef {{ what: string, category: string, amount: number }} Expense */
/** @typedef {{ what: string, amount: string, category: string, expenses: Expense[] }} State */

/** @type {State} */
const initialState = {
  what: '',
  amount: '',
  category: 'food',
  expenses: [{ what: 'Coffee', category: 'food', amount: 3.5 }],
};

/** @param {string} value */
const label = (value) => CATEGORIES.find((c) => c.value === value)?.label ?? value;

definePlugin({
  title: 'Expenses',
  initialState,
  reducers: {
    /** @param {State} s @param {string} what */
    what: (s, what) => ({ ...s, what }),
    /** @param {State} s @param {number | string} amount */
    amount: (s, amount) => ({ ...s, amount: String(amount) }),
    /** @param {State} s @param {string} category */
    category: (s, category) => ({ ...s, category }),
    add: (s) => {
      const amount = Number(s.amount);
      if (!s.what.trim() || !(amount > 0)) return s;
      const expense = { what: s.what.trim(), category: s.category, amount: Math.round(amount * 100) / 100 };
      return { ...s, what: '', amount: '', expenses: [...s.expenses, expense] };
    },
  },
  widgets: {
    main: {
      title: 'Expenses',
      render: ({ pluginState: s }) => {
        const total = s.expenses.reduce((t, e) => t + e.amount, 0);
        return {
          kind: 'panel',
          title: 'Expenses',
          children: [
            {
              kind: 'row',
              gap: 'small',
              children: [
                {
                  kind: 'input',
                  label: 'Description',
                  value: s.what,
                  onChange: { handler: 'what' },
                  onSubmit: { handler: 'add' },
                },
                {
                  kind: 'input',
                  label: 'Amount',
                  inputType: 'number',
                  value: s.amount,
                  onChange: { handler: 'amount' },
                  onSubmit: { handler: 'add' },
                },
                {
                  kind: 'select',
                  label: 'Category',
                  value: s.category,
                  options: CATEGORIES,
                  onChange: { handler: 'category' },
                },
                { kind: 'button', label: 'Add expense', variant: 'primary', onClick: { handler: 'add' } },
              ],
            },
            {
              kind: 'table',
              columns: ['What', 'Category', 'Amount'],
              rows: s.expenses.map((e) => [e.what, label(e.category), e.amount.toFixed(2)]),
            },
            {
              kind: 'row',
              gap: 'small',
              children: [
                { kind: 'text', text: 'Total' },
                { kind: 'badge', tone: total > 100 ? 'warning' : 'success', text: total.toFixed(2) },
              ],
            },
          ],
        };
      },
    },
  },
});
