/**
 * An expense tracker: a text input, a number input, a select and a table. Each field's binding
 * names its reducer, which gets the field's new value; `add` checks the draft and appends it.
 */
const CATEGORIES = [
  { value: 'food', label: 'Food' },
  { value: 'travel', label: 'Travel' },
  { value: 'office', label: 'Office' },
];

interface Expense {
  what: string;
  category: string;
  amount: number;
}
interface State {
  what: string;
  amount: string;
  category: string;
  expenses: Expense[];
}

const initialState: State = {
  what: '',
  amount: '',
  category: 'food',
  expenses: [{ what: 'Coffee', category: 'food', amount: 3.5 }],
};

definePlugin({
  title: 'Expenses',
  initialState,
  reducers: {
    what: (s, what: string) => ({ ...s, what }),
    amount: (s, amount: number | string) => ({ ...s, amount: String(amount) }),
    category: (s, category: string) => ({ ...s, category }),
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
        const label = (value: string) => CATEGORIES.find((c) => c.value === value)?.label ?? value;
        return (
          <panel title="Expenses">
            <row gap="small">
              <input
                label="Description"
                value={s.what}
                onChange={{ handler: 'what' }}
                onSubmit={{ handler: 'add' }}
              />
              <input
                label="Amount"
                inputType="number"
                value={s.amount}
                onChange={{ handler: 'amount' }}
                onSubmit={{ handler: 'add' }}
              />
              <select
                label="Category"
                value={s.category}
                options={CATEGORIES}
                onChange={{ handler: 'category' }}
              />
              <button label="Add expense" variant="primary" onClick={{ handler: 'add' }} />
            </row>
            <table
              columns={['What', 'Category', 'Amount']}
              rows={s.expenses.map((e) => [e.what, label(e.category), e.amount.toFixed(2)])}
            />
            <row gap="small">
              <text>Total</text>
              <badge tone={total > 100 ? 'warning' : 'success'}>{total.toFixed(2)}</badge>
            </row>
          </panel>
        );
      },
    },
  },
});
