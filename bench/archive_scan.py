"""Sensitive-word screening (ARCH-3): MB/s and messages/s of the product's screen over
realistic Chinese chat text with a 10,000-word list, next to the bare pyahocorasick
`iter()` loop over the same text in the same run (the overhead ratio).

1. `--messages` generated chat messages (default 200,000; Chinese sales chats, half the
   employees', half the customers', some with numbers, addresses, links, files and red
   packets; about 1 % with a listed word), and a list of 10,000 generated Chinese words
   of 3–4 characters (plus the realistic ones those messages carry).
2. An embedded huoke (SQLite, a temporary var directory) gets the list through the use
   case (`WordLists.make`); screening reads it from the word-list directory as it does
   in production (one version query a batch, the automaton built once).
3. Timed in `--rounds` rounds (5), each case once a round; medians of the times and
   of each round's ratio to the bare loop:
   - bare, per message: `for _ in automaton.iter(text): pass` for each message's text;
   - bare, joined: one `iter()` over the batch's texts joined (how the screen runs it);
   - ours, words only: `Screening.alerts(tenant, batch)` for a tenant whose rules watch
     no behaviour (fold, one pass, hits to messages, alerts);
   - ours, words and behaviours: the default rules (all six behaviours watched).
   MB/s counts the UTF-8 bytes of the messages' texts.

    .venv/bin/python bench/archive_scan.py
    .venv/bin/python bench/archive_scan.py --messages 500000 --batch 2000 --rounds 5
"""

from __future__ import annotations

import argparse
import random
import statistics
import sys
import tempfile
import time
from collections.abc import Callable, Sequence
from datetime import UTC, datetime, timedelta
from pathlib import Path
from uuid import UUID, uuid4

import ahocorasick
from rich.console import Console
from rich.table import Table

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "src"))

from application.archive.messages import ArchivedMessage
from application.archive.screening_commands import ChangeScreeningRules, MakeWordList
from application.shared.context import RequestContext, acting
from domain.archive.word_lists import fold_word
from entrypoints.container import Runtime
from entrypoints.settings import Settings

console = Console()
START = datetime(2026, 11, 2, 1, 0, tzinfo=UTC)

GREETINGS = ["你好", "您好", "在吗", "早上好", "亲", "王总好", "李经理", "打扰了", "老师好"]
ASKING = ["我想了解一下", "请问", "麻烦问下", "想咨询一下", "上次说的", "关于", "能不能",
          "帮我看看", "我们公司想要", "客户反馈"]  # fmt: skip
THINGS = ["产品价格", "报价单", "合同", "发票", "优惠活动", "会员卡", "套餐", "物流信息",
          "退款流程", "售后服务", "安装时间", "样品", "演示视频", "付款方式", "账期", "库存",
          "新品", "配送地址", "企业版", "续费", "培训课程", "技术支持"]  # fmt: skip
TAILS = ["吗", "呢", "可以吗", "谢谢", "好的", "麻烦尽快回复", "明天下午开会再说",
         "我们再商量一下", "收到", "没问题", "辛苦了", "稍等我确认一下", "周末也可以"]  # fmt: skip
ANSWERS = ["价格是{n}元，含税含运费", "下周{d}可以安排上门安装", "报价单已经发您邮箱了",
           "这个月有九折优惠，老客户再送一年服务", "合同今天寄出，请注意查收",
           "{m}月{d2}日前发货，物流单号稍后发您", "我让技术同事联系您，他比较清楚"]  # fmt: skip
SENSITIVE = ["保本", "稳赚不赔", "加我私人微信", "返现", "内部价", "傻X", "包过", "竞品太差"]
# Common characters the generated words are made of (so they sometimes occur by chance).
POOL = (
    "的一是在不了有和人这中大为上个国我以要他时来用们生到作地于出就分对成会可主发年动"
    "同工也能下过子说产种面而方后多定行学法所民得经十三之进着等部度家电力里如水化高自二"
    "理起小物现实加量都两体制机当使点从业本去把性好应开它合还因由其些然前外天政四日那社"
    "义事平形相全表间样与关各重新线内数正心反你明看原又么利比或但质气第向道命此变条只没"
    "结解问意建月公无系军很情者最立代想已通并提直题党程展五果料象员革位入常文总次品式活"
    "设及管特件长求老头基资边流路级少图山统接知较将组见计别她手角期根论运农指几九区强放"
    "决西被干做必战先回则任取据处队南给色光门即保治北造百规热领七海口东导器压志世金增争"
    "济阶油思术极交受联什认六共权收证改清己美再采转更单风切打白教速花带安场身车例真务具"
)


def chat_text(rng: random.Random, employee: bool) -> str:
    if employee:
        text = rng.choice(ANSWERS).format(
            n=rng.randint(100, 99999), d=rng.choice("一二三四五"), m=rng.randint(1, 12),
            d2=rng.randint(1, 28),
        )  # fmt: skip
    else:
        text = rng.choice(GREETINGS) + "，" + rng.choice(ASKING) + rng.choice(THINGS)
        text += rng.choice(TAILS)
    roll = rng.random()
    if roll < 0.01:
        text += "，" + rng.choice(SENSITIVE)
    elif roll < 0.02:
        text += f"，电话 1{rng.randint(3, 9)}{rng.randint(0, 999999999):09d}"
    elif roll < 0.025:
        text += " 详情见 https://shop.example.com/item/" + str(rng.randint(1, 9999))
    elif roll < 0.03:
        text += "，邮箱 sales@example.com"
    return text


def messages(count: int, seed: int = 20) -> list[ArchivedMessage]:
    rng = random.Random(seed)
    made = []
    for n in range(count):
        employee = f"emp{n % 40:02d}"
        customer = f"wmCustomer{n % 5000:04d}"
        by_employee = n % 2 == 0
        sender, to = (employee, customer) if by_employee else (customer, employee)
        kind, content = "text", {"content": chat_text(rng, by_employee)}
        roll = rng.random()
        if by_employee and roll < 0.005:
            kind, content = "file", {"filename": "报价单.pdf", "fileext": "pdf", "sdkfileid": "F"}
        elif by_employee and roll < 0.008:
            kind, content = "redpacket", {"wish": "恭喜发财", "totalamount": 888, "totalcnt": 1}
        made.append(
            ArchivedMessage(
                seq=n + 1,
                msgid=f"bench{n}",
                action="send",
                sender=sender,
                tolist=(to,),
                roomid="",
                msgtime=START + timedelta(seconds=n),
                msgtype=kind,
                content=content,
            )
        )
    return made


def word_list(count: int, seed: int = 10) -> list[str]:
    rng = random.Random(seed)
    words = set(SENSITIVE)
    while len(words) < count:
        words.add("".join(rng.choice(POOL) for _ in range(rng.randint(3, 4))))
    return sorted(words)


def timed(rounds: int, run: Callable[[], object]) -> float:
    """The median of `rounds` runs, in seconds."""
    seconds = []
    for _ in range(rounds):
        began = time.perf_counter()
        run()
        seconds.append(time.perf_counter() - began)
    return statistics.median(seconds)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--messages", type=int, default=200_000)
    parser.add_argument("--words", type=int, default=10_000)
    parser.add_argument("--batch", type=int, default=1000, help="messages a screen call")
    parser.add_argument("--rounds", type=int, default=5)
    args = parser.parse_args()

    chats = messages(args.messages)
    texts = [m.text for m in chats]
    size = sum(len(t.encode()) for t in texts)
    words = word_list(args.words)
    batches: Sequence[Sequence[ArchivedMessage]] = [
        chats[i : i + args.batch] for i in range(0, len(chats), args.batch)
    ]
    joined = ["\x00".join(m.text for m in batch) for batch in batches]
    console.print(
        f"{len(chats):,} messages, {size / 1e6:.1f} MB of text "
        f"({size / len(chats):.0f} bytes each), {len(words):,} words, batches of {args.batch}"
    )

    automaton = ahocorasick.Automaton()
    for word in words:
        folded = fold_word(word)
        automaton.add_word(folded, folded)
    automaton.make_automaton()

    def bare_per_message() -> None:
        for text in texts:
            for _ in automaton.iter(text):
                pass

    def bare_joined() -> None:
        for text in joined:
            for _ in automaton.iter(text):
                pass

    with tempfile.TemporaryDirectory() as var:
        settings = Settings(
            var_dir=Path(var), fast_hashing=True, auto_migrate=True,
            in_process_projections=True,
        )  # fmt: skip
        runtime = Runtime(settings).start()
        try:
            words_only, everything = uuid4(), uuid4()
            with acting(RequestContext(request_id="bench-scan", read_your_writes=True)):
                for tenant in (words_only, everything):
                    runtime.container.archive_word_lists().make(
                        tenant, MakeWordList(name="词库", category="违规承诺", words=words)
                    )
                runtime.container.archive_screening_settings().change(
                    words_only, ChangeScreeningRules(behaviours=[]), expected_version=1
                )
            screen = runtime.container.archive_screen()
            found: dict[UUID, int] = {}

            def ours(tenant: UUID) -> Callable[[], None]:
                def run() -> None:
                    found[tenant] = sum(len(screen.alerts(tenant, batch)) for batch in batches)

                return run

            for tenant in (words_only, everything):
                screen.screen_of(tenant)  # the automaton built before the clock starts
            cases: list[tuple[str, Callable[[], object], UUID | None]] = [
                ("bare iter(), per message", bare_per_message, None),
                ("bare iter(), batch joined", bare_joined, None),
                ("ours, words", ours(words_only), words_only),
                ("ours, words + 6 behaviours", ours(everything), everything),
            ]
            # Round after round, every case once: a shared machine's load moves from one
            # minute to the next, so each round's ratios compare runs made side by side.
            seconds: list[list[float]] = [[] for _ in cases]
            for _ in range(args.rounds):
                for times, (_name, run, _tenant) in zip(seconds, cases, strict=True):
                    times.append(timed(1, run))
        finally:
            runtime.close()

    table = Table(
        title=f"Screening {len(chats):,} messages ({size / 1e6:.1f} MB), "
        f"median of {args.rounds} rounds"
    )
    for column in ("case", "seconds", "MB/s", "messages/s", "of bare (per message)", "alerts"):
        table.add_column(column, justify="left" if column == "case" else "right")
    bare = seconds[0]
    for (name, _run, tenant), times in zip(cases, seconds, strict=True):
        ratio = statistics.median(b / t for b, t in zip(bare, times, strict=True))
        median = statistics.median(times)
        table.add_row(
            name,
            f"{median:.3f}",
            f"{size / median / 1e6:.1f}",
            f"{len(chats) / median:,.0f}",
            f"{ratio:.0%}",
            f"{found[tenant]:,}" if tenant else "—",
        )
    console.print(table)
    for name, times in (("words", seconds[2]), ("words + behaviours", seconds[3])):
        ratio = statistics.median(b / t for b, t in zip(seconds[1], times, strict=True))
        console.print(f"ours ({name}) against the bare joined loop: {ratio:.0%}")


if __name__ == "__main__":
    main()
