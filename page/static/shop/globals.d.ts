// What Gradio's gr.HTML hands the page's script (`js_on_load`), and the shapes the server's calls answer
// (page/shopper_calls.py). Types only: nothing here runs.

type Words = Record<string, string>;
type Chip = {label: string, kind: string, value: string};
type ItemRow = {label: string, cards: Card[], part: number[]};
type Answer = {
  problem?: string, status?: string, cards?: Card[], chips?: Chip[], rows?: ItemRow[], marked?: string,
  html?: string, photo?: string, recent?: Card[], inspired?: Card[], banner?: string, model_line?: string,
  facets?: Record<string, [string, string][]>, text_weight?: number, pictures?: string[], title?: string,
  variants?: Variant[],
};
type Variant = {id: string, name: string, price: string, picture: string};
type Card = {id: string, picture: string, title: string, facts: string, why: string};
type FilterChoice = {brands: string[], categories: string[], colours: string[], min_price: number | null,
  max_price: number | null, in_stock: boolean};

declare const element: HTMLElement;
declare const props: {
  labels: Record<string, Words>,
  shop: {history_key: string, language_key: string, recent_count: number, long_list: number, max_side: number,
    max_sent_bytes: number, warning: string},
};
declare const server: Record<string, (asked: object) => Promise<Answer>>;
