"""Real poems from the corpus (simplified, as the corpus reads them) that pass every rule of 五律, break one
rule each, or are flagged on one line."""

PASSES = {  # anthology 五律 that the standard verdict must pass: several use an accepted 拗 variant
    "春望": "国破山河在，城春草木深。感时花溅泪，恨别鸟惊心。烽火连三月，家书抵万金。白头搔更短，浑欲不胜簪。",
    "武德": "武德谅雍雍，由来扫寇戎。劒光挥作电，旗影列成虹。雾廓三边静，波澄四海同。睿图今已盛，相共舞皇风。",
    # 王勃, line 7 无为在岐路 = 平平仄平仄
    "送杜少府之任蜀州": "城阙辅三秦，风烟望五津。与君离别意，同是宦游人。海内存知己，天涯若比隣。无为在岐路，儿女共沾巾。",
    # 杜甫, lines 3 and 7 (遥怜小儿女, 何时倚虚幌) = 平平仄平仄
    "月夜": "今夜鄜州月，闺中只独看。遥怜小儿女，未解忆长安。香雾云鬟湿，清辉玉臂寒。何时倚虚幌，双照泪痕干。",
    "山居秋暝": "空山新雨后，天气晚来秋。明月松间照，清泉石上流。竹喧归浣女，莲动下渔舟。随意春芳歇，王孙自可留。",
    "旅夜书怀": "细草微风岸，危樯独夜舟。星垂平野阔，月涌大江流。名岂文章著，官因老病休。飘飘何所似，天地一沙鸥。",
    "登岳阳楼": "昔闻洞庭水，今上岳阳楼。吴楚东南坼，乾坤日夜浮。亲朋无一字，老病有孤舟。戎马关山北，凭轩涕泗流。",
    # 李白, line 7 仍连故乡水 = 平平仄平仄
    "渡荆门送别": "渡远荆门外，来从楚国游。山随平野尽，江入大荒流。月下飞天镜，云生结海楼。仍连故乡水，万里送行舟。",
    # 王维, line 1 寒山转苍翠 = 平平仄平仄
    "辋川闲居赠裴秀才迪": "寒山转苍翠，秋水日潺湲。倚杖柴门外，临风听暮蝉。渡头余落日，墟里上孤烟。复值接舆醉，狂歌五柳前。",
}
# variants the standard verdict names on a line (0-based) of a poem above
VARIANT_LINES = {"送杜少府之任蜀州": {6: "平平仄平仄"}, "月夜": {2: "平平仄平仄", 6: "平平仄平仄"}}
FLAGGED = {  # genuinely irregular lines: the standard verdict flags exactly these rules on these lines
    # 孟浩然《过故人庄》: 故人具鸡黍 = 仄平仄平仄, 人 and 鸡 both 平; its 粘对 hold
    "过故人庄": ("故人具鸡黍，邀我至田家。绿树村边合，青山郭外斜。开筵面场圃，把酒话桑麻。待到重阳日，还来就菊花。",
              {"line_types": [0]}),
    # 孟浩然《望洞庭湖赠张丞相》: 八月湖水平 = 仄仄平仄平, a 拗 first line with a lone 平 before the rhyme
    "望洞庭湖赠张丞相": ("八月湖水平，涵虚混太清。气蒸云梦泽，波撼岳阳城。欲济无舟楫，端居耻圣明。坐观垂钓者，空有羡鱼情。",
                  {"line_types": [0], "no_gu_ping": [0]}),
}
BREAKS = {  # rule -> a real poem that breaks it under the standard verdict (and, but for even_ping, only it)
    "nian": "参差垂玉阙，舒卷映兰宫。珠光摇素月，竹影乱清风。彩散银钩上，文斜桂户中。惟当杂罗绮，相与媚房栊。",
    "dui": "玉关芳信断，兰闺锦字新。愁来好自抑，念切已含嚬。虚牖风惊梦，空床月厌人。归期傥可促，勿度柳园春。",
    "odd_ze": "有卉秘神仙，君臣有礼焉。忻当苦口喻，不畏入肠偏。扁鹊功成日，神农定品年。丹成如可待，鸡犬自闻天。",
    "no_gu_ping": "昼眺伊川曲，岩间霁色明。浅沙平有路，流水漫无声。浴鸟沿波聚，潜鱼触钓惊。更怜春岸绿，幽意满前楹。",
    "rhyme": "妙年能致身，陈力复安亲。不惮关山远，宁辞簿领勤。过江云满路，到县海为邻。每叹违心赏，吴门正早春。",
    "no_san_ping_wei": "游吴还适越，来往任风波。复送王孙去，其如春草何。岸明残雪在，潮满夕阳多。季子留遗庙，停舟试一过。",
    # line 1 竹林二君子 = 仄平仄平仄: the swap of 平平仄平仄 needs 平 at position 1
    "line_types": "竹林二君子，尽日竟沉吟。相对终无语，争先各有心。恃强斯有失，守分固无侵。若算机筹处，沧沧海未深。",
    # 太宗《帝京篇》其二 rhymes on 仄 (辇 篆 卷 典): a 仄韵 poem breaks even_ping, and with it rhyme and more
    "even_ping": "岩廊罢机务，崇文聊驻辇。玉匣启龙图，金绳披凤篆。韦编断仍续，缥帙舒还卷。对此乃淹留，欹案观坟典。",
}

# The other three forms (王力《诗词格律》's examples among them): anthology poems the standard verdict must pass,
# with the form and pattern it must read
FORM_PASSES = {
    "登鹳雀楼": ("白日依山尽，黄河入海流。欲穷千里目，更上一层楼。", "五绝", "仄起不入韵"),
    "相思": ("红豆生南国，春来发几枝。愿君多采撷，此物最相思。", "五绝", "仄起不入韵"),
    "八阵图": ("功盖三分国，名成八阵图。江流石不转，遗恨失吞吴。", "五绝", "仄起不入韵"),
    "早发白帝城": ("朝辞白帝彩云间，千里江陵一日还。两岸猿声啼不住，轻舟已过万重山。", "七绝", "平起入韵"),
    "枫桥夜泊": ("月落乌啼霜满天，江枫渔火对愁眠。姑苏城外寒山寺，夜半钟声到客船。", "七绝", "仄起入韵"),
    "出塞": ("秦时明月汉时关，万里长征人未还。但使龙城飞将在，不教胡马度阴山。", "七绝", "平起入韵"),
    "登高": ("风急天高猿啸哀，渚清沙白鸟飞回。无边落木萧萧下，不尽长江滚滚来。"
             "万里悲秋常作客，百年多病独登台。艰难苦恨繁霜鬓，潦倒新停浊酒杯。", "七律", "仄起入韵"),
    "蜀相": ("丞相祠堂何处寻，锦官城外柏森森。映阶碧草自春色，隔叶黄鹂空好音。"
             "三顾频烦天下计，两朝开济老臣心。出师未捷身先死，长使英雄泪满襟。", "七律", "仄起入韵"),
    "闻官军收河南河北": ("剑外忽传收蓟北，初闻涕泪满衣裳。却看妻子愁何在，漫卷诗书喜欲狂。"
                  "白日放歌须纵酒，青春作伴好还乡。即从巴峡穿巫峡，便下襄阳向洛阳。", "七律", "仄起不入韵"),
}
FORM_BREAKS = {  # famous poems that are not regular, and where the standard verdict says so
    # 王维《鹿柴》: a 古绝 rhyming on 仄 (响, 上)
    "鹿柴": ("空山不见人，但闻人语响。返景入深林，复照青苔上。", {"rhyme": [1, 3], "even_ping": [1, 3], "odd_ze": [2], "dui": [3]}),
    # 王维《送元二使安西》: 劝君 after 客舍 breaks 粘 (折腰体)
    "送元二使安西": ("渭城朝雨浥轻尘，客舍青青柳色新。劝君更尽一杯酒，西出阳关无故人。", {"nian": [2]}),
    # 崔颢《黄鹤楼》: 黄鹤一去不复返 (six 仄) is 拗 beyond any accepted variant; its 粘对 hold. Its first line
    # passes as 对句相救: the lexicon gives 乘 (chéng/shèng) either tone, and 空 in the next line rescues it
    "黄鹤楼": ("昔人已乘黄鹤去，此地空余黄鹤楼。黄鹤一去不复返，白云千载空悠悠。"
             "晴川历历汉阳树，芳草萋萋鹦鹉洲。日暮乡关何处是，烟波江上使人愁。", {"line_types": [2]}),
}
# 古体 and 近体 as the three-way verdict reads them (judge/old_style.py): poem, kind, words of its reason
OLD_STYLE = {
    "江雪": ("千山鸟飞绝，万径人踪灭。孤舟蓑笠翁，独钓寒江雪。", "古体", "仄韵 (入聲九屑)"),
    "春晓": ("春眠不觉晓，处处闻啼鸟。夜来风雨声，花落知多少。", "古体", "仄韵 (上聲十七篠)"),
    "静夜思": ("床前明月光，疑是地上霜。举头望明月，低头思故乡。", "古体", "only 2 of its 4 lines are 律句"),
    "望岳": ("岱宗夫如何，齐鲁青未了。造化钟神秀，阴阳割昏晓。荡胸生曾云，决眦入归鸟。会当凌绝顶，一览众山小。",
           "古体", "仄韵 (上聲十七篠)"),
    "夜归鹿门山歌": ("山寺钟鸣昼已昏，渔梁渡头争渡喧。人随沙岸向江村，余亦乘舟归鹿门。鹿门月照开烟树，忽到庞公栖隐处。"
                "岩扉松径长寂寥，惟有幽人自来去。", "古体", "换韵, 平 then 仄"),
    # 王维《杂诗》: 事 (去聲四寘) against 未 (去聲五未), neighbouring groups one against one
    "杂诗": ("君自故乡来，应知故乡事。来日绮窗前，寒梅著花未。", "古体", "仄韵, 通押 of 事 (去聲四寘)、未 (去聲五未)"),
    "问刘十九": ("绿蚁新醅酒，红泥小火炉。晚来天欲雪，能饮一杯无。", "近体", "keeps every rule of 五绝"),
    "春望": (PASSES["春望"], "近体", "keeps every rule of 五律"),
    "春望 簪→天": (PASSES["春望"].replace("簪", "天"), "近体 with faults", "五律 with faults: breaks rhyme"),
    # 王维《渭城曲》: a 七绝 that breaks 粘 alone (折腰体); 唐诗三百首 prints it among the 乐府
    "渭城曲": ("渭城朝雨浥轻尘，客舍青青柳色新。劝君更尽一杯酒，西出阳关无故人。", "近体 with faults", "breaks nian"),
}
